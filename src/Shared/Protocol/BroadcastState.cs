namespace S3Fanout.Shared.Protocol;

internal enum BroadcastState
{
    Open,
    Complete,
    Aborted,
}
