using System.Text.Json.Serialization;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>The mirror service's state as the health file shows it.</summary>
internal sealed record FleetHealth(
    [property: JsonPropertyName("active")] int Active,
    [property: JsonPropertyName("queued")] int Queued,
    [property: JsonPropertyName("mirrored")] int Mirrored,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("lastError")] string? LastError);
