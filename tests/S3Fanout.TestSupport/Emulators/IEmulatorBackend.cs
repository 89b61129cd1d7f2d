namespace S3Fanout.TestSupport.Emulators;

/// <summary>A started local AWS endpoint (S3, SQS, SNS).</summary>
internal interface IEmulatorBackend : IAsyncDisposable
{
    /// <summary>Base URL, e.g. http://127.0.0.1:PORT.</summary>
    Uri Endpoint { get; }

    /// <summary>What runs, for messages: e.g. "fauxqs 2.4.1 (pid 123)".</summary>
    string Description { get; }
}
