using System.Globalization;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Cli;

/// <summary>
/// The ranges a setting must lie in, the same whether it comes from a command line (<see cref="CliOptions"/>) or
/// from the mirror service's configuration.
/// </summary>
internal static class OptionLimits
{
    public static readonly ValueRange Workers = new(1, 64);
    public static readonly ValueRange Tries = new(1, 100);
    public static readonly ValueRange SegmentMiB = new(1, S3Limits.MaxObjectMiB);
    public static readonly ValueRange BufferKb = new(4, 64 * 1024);
    public static readonly ValueRange Replicas = new(0, Protocol.KeyLayout.MaxReplicas);
}

internal readonly record struct ValueRange(long Min, long Max)
{
    public bool Contains(long value) => value >= Min && value <= Max;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Min}-{Max}");
}
