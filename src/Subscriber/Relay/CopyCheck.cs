namespace S3Fanout.Subscriber.Relay;

/// <summary>How a relay's copy of a segment was checked against the publisher's CRC-64/NVME.</summary>
internal enum CopyCheck
{
    /// <summary>By the CRC-64/NVME S3 returned for the copy (no byte passed through the relay).</summary>
    CopyChecksum,

    /// <summary>The endpoint returned none: the copy was downloaded and its CRC-64/NVME computed.</summary>
    Download,
}
