namespace S3Fanout.Subscriber.Fleet;

/// <summary>The mirror service's state as the health file shows it.</summary>
internal sealed record FleetHealth(int Active, int Queued, int Mirrored, int Failed, string? LastError);
