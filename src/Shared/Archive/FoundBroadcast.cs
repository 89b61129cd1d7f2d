namespace S3Fanout.Shared.Archive;

/// <summary>A broadcast found by a listing: its name (the key prefix before <c>/.manifest</c>) and when its manifest was last written.</summary>
internal sealed record FoundBroadcast(string Name, DateTime? ManifestModified);
