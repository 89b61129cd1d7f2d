namespace S3Fanout.Shared.Assembly;

/// <summary>
/// Cuts a broadcast's segments into multipart-upload parts that S3 copies server-side wherever it can.
/// </summary>
/// <remarks>
/// The limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): at most 10,000 parts; every part
/// but the last 5 MiB to 5 GiB; no minimum for the last. UploadPartCopy copies one range of one object into a part,
/// and copies a range only of a source larger than 5 MB (https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html,
/// x-amz-copy-source-range), so a part can never join two segments server-side.
/// <para>The plan: a part size floor M = max(5 MiB, ⌈total / 10,000⌉), so the parts number at most 10,000. A segment
/// (or its rest) of at least M bytes is copied whole as one part, as is the last segment when nothing is pending. Runs
/// of smaller segments (flushed partials, the short tail) are downloaded and uploaded together; when such a run would
/// end below M before a large segment, it is padded with the head of that segment, as long as the segment's rest is
/// still at least M (or, for the last segment, still a valid range copy), else the segment joins the run whole.
/// Uploaded parts therefore stay under 2·M, and only the small segments plus their padding are downloaded.</para>
/// </remarks>
internal static class AssemblyPlanner
{
    public const long FiveMiB = 5L * 1024 * 1024;
    public const int MaxParts = 10_000;

    public static AssemblyPlan Plan(IReadOnlyList<SourceSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var total = segments.Sum(s => s.Size);
        var floor = Math.Max(FiveMiB, (total + MaxParts - 1) / MaxParts);
        var parts = new List<PlannedPart>();
        var pending = new List<PartPiece>();
        long pendingBytes = 0;

        void Flush()
        {
            parts.Add(new PlannedPart(parts.Count + 1, null, [.. pending]));
            pending.Clear();
            pendingBytes = 0;
        }

        // Empty segments add no bytes and no part.
        var nonEmpty = segments.Where(s => s.Size > 0).ToList();
        for (var i = 0; i < nonEmpty.Count; i++)
        {
            var segment = nonEmpty[i];
            var last = i == nonEmpty.Count - 1;
            long position = 0;
            while (position < segment.Size)
            {
                var rest = segment.Size - position;
                if (pendingBytes == 0 && (rest >= floor || (last && CanCopy(segment, position))))
                {
                    parts.Add(new PlannedPart(parts.Count + 1, new PartPiece(segment, position, rest), []));
                    position = segment.Size;
                    continue;
                }
                var pad = floor - pendingBytes;
                if (pendingBytes > 0 && pad < rest && (last ? CanCopy(segment, position + pad) : rest - pad >= floor))
                {
                    pending.Add(new PartPiece(segment, position, pad));
                    pendingBytes += pad;
                    Flush();
                    position += pad;
                    continue;
                }
                pending.Add(new PartPiece(segment, position, rest));
                pendingBytes += rest;
                position = segment.Size;
                if (pendingBytes >= floor)
                {
                    Flush();
                }
            }
        }
        if (pendingBytes > 0)
        {
            Flush();
        }
        return new AssemblyPlan(parts, floor);
    }

    /// <summary>A copy of the segment from <paramref name="from"/> to its end: the whole object, or a range of a source over 5 MB.</summary>
    private static bool CanCopy(SourceSegment segment, long from) => from == 0 || segment.Size > FiveMiB;
}
