using System.Text.Json.Serialization;

namespace S3Fanout.Shared.Protocol;

/// <summary>
/// The notification body's JSON, generated at compile time (no reflection, so it works in the Native AOT executables);
/// the shape is <see cref="Notification"/>'s attributes.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(Notification))]
internal sealed partial class NotificationJsonContext : JsonSerializerContext;
