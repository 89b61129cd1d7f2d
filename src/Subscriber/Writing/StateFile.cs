using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace S3Fanout.Subscriber.Writing;

/// <summary>
/// A small JSON file that must survive a crash at any moment: written to a temp file, flushed to disk, then renamed
/// over the old one, so a reader finds either the old or the new content. Property names are snake_case; the types are described by <see cref="StateFileJsonContext"/>.
/// </summary>
internal static class StateFile
{
    // Files written before every machine-readable output became snake_case carry these names.
    private static readonly (string Old, string New)[] Renamed = [("uploadBegan", "upload_began"), ("updatedAt", "updated_at")];

    /// <summary>The file's content; null when it is missing, unreadable or not valid.</summary>
    public static T? TryLoad<T>(string path, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            if (!File.Exists(path) || JsonNode.Parse(File.ReadAllText(path)) is not JsonObject json)
            {
                return null;
            }
            foreach (var (old, now) in Renamed)
            {
                if (json.TryGetPropertyValue(old, out var value) && !json.ContainsKey(now))
                {
                    json.Remove(old);
                    json[now] = value;
                }
            }
            return json.Deserialize(type);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static void Save<T>(string path, T value, JsonTypeInfo<T> type)
    {
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, value, type);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
