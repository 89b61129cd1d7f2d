namespace S3Fanout.Shared.Aws.Sns;

internal sealed record SnsBatchResult(IReadOnlyList<SnsBatchSuccess> Successful, IReadOnlyList<SnsBatchFailure> Failed)
{
    public bool AllSucceeded => Failed.Count == 0;
}
