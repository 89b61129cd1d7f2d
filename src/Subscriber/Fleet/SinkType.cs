namespace S3Fanout.Subscriber.Fleet;

/// <summary>Where a channel's broadcasts go.</summary>
internal enum SinkType
{
    /// <summary>One file per broadcast under <see cref="SinkOptions.Path"/>; resumable.</summary>
    Directory,

    /// <summary>A fresh run of <see cref="SinkOptions.Command"/> per broadcast, with the stream on its stdin.</summary>
    Command,

    /// <summary>The service's own stdout, for one broadcast at a time.</summary>
    Stdout,
}
