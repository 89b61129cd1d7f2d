namespace S3Fanout.Shared.Assembly;

/// <summary>One stored segment of the broadcast being assembled: where it is, where it sits in the stream, and its checksum.</summary>
/// <param name="Crc">Its CRC-64/NVME (base64), from <c>.checksums</c> or computed on download for an s3pipe2 archive.</param>
/// <param name="ETag">The ETag listed for it; copies and downloads are made on that ETag only, so a segment replaced meanwhile is refused.</param>
internal sealed record SourceSegment(long Index, string Key, long Offset, long Size, string Crc, string? ETag);

/// <summary>A byte range of one segment.</summary>
internal sealed record PartPiece(SourceSegment Segment, long From, long Length)
{
    public bool IsWholeSegment => From == 0 && Length == Segment.Size;
}

/// <summary>
/// One part of the multipart upload: either a range of one segment copied by S3 (<see cref="Copy"/>), or bytes the
/// assembler downloads and uploads (<see cref="Downloads"/>, in stream order).
/// </summary>
internal sealed record PlannedPart(int Number, PartPiece? Copy, IReadOnlyList<PartPiece> Downloads)
{
    public long Length => Copy?.Length ?? Downloads.Sum(p => p.Length);

    public bool IsCopy => Copy is not null;
}

/// <summary>The parts of an assembly, and what they cost.</summary>
internal sealed record AssemblyPlan(IReadOnlyList<PlannedPart> Parts, long MinPartBytes)
{
    public long Bytes => Parts.Sum(p => p.Length);

    public long CopiedBytes => Parts.Where(p => p.IsCopy).Sum(p => p.Length);

    public long DownloadedBytes => Parts.Where(p => !p.IsCopy).Sum(p => p.Length);

    public int CopiedParts => Parts.Count(p => p.IsCopy);
}
