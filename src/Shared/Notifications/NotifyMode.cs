namespace S3Fanout.Shared.Notifications;

/// <summary>How subscribers hear of new segments: <c>--notify</c> of both executables and the manifest's <c>notify</c> key.</summary>
internal enum NotifyMode
{
    /// <summary>Subscriber only: as the manifest's <c>notify</c> key says, else <see cref="Sns"/>.</summary>
    Auto,
    /// <summary>Through the bucket's SNS topic.</summary>
    Sns,
    /// <summary>Straight to the subscriber queues (accounts without SNS).</summary>
    Sqs,
    /// <summary>No notifications: subscribers follow the manifest.</summary>
    None,
}

/// <summary>The lower-case names of <see cref="NotifyMode"/>, as written on command lines and in manifests.</summary>
internal static class NotifyModes
{
    public static string Name(this NotifyMode mode) => mode.ToString().ToLowerInvariant();

    /// <summary>
    /// What <see cref="NotifyMode.Auto"/> means for a broadcast whose manifest says <paramref name="value"/>: no manifest
    /// yet, or no <c>notify</c> key, means the publishers' default (SNS); a value this version does not know means
    /// following the manifest rather than waiting on a queue that nobody sends to.
    /// </summary>
    public static NotifyMode FromManifest(string? value) => value switch
    {
        null or "sns" => NotifyMode.Sns,
        "sqs" => NotifyMode.Sqs,
        _ => NotifyMode.None,
    };
}
