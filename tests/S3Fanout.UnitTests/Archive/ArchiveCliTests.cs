using System.Reflection;
using S3Fanout.Shared;
using S3Fanout.Shared.Cli;
using S3Fanout.Subscriber.Archive;
using Xunit;

namespace S3Fanout.UnitTests.Archive;

public sealed class ArchiveCliTests
{
    [Theory]
    [InlineData("s3://bucket", "bucket", "")]
    [InlineData("s3://bucket/", "bucket", "")]
    [InlineData("s3://bucket/backups/", "bucket", "backups/")]
    [InlineData("s3://bucket/backups", "bucket", "backups")]
    [InlineData("s3://bucket//logs/app/", "bucket", "logs/app/")]
    [InlineData("bucket/logs/", "bucket", "logs/")]
    public void WhenAListingUrlIsGiven_ItYieldsTheBucketAndTheRawKeyPrefix(string url, string bucket, string prefix)
    {
        Assert.Equal((bucket, prefix), ArchiveCli.ParsePrefix(url));
    }

    [Theory]
    [InlineData("http://bucket/")]
    [InlineData("s3://")]
    [InlineData("s3://B/x")]
    [InlineData("s3://bucket/a\u0001b")]
    public void WhenAListingUrlIsMalformed_ItIsAUsageError(string url)
    {
        var e = Assert.Throws<UsageException>(() => ArchiveCli.ParsePrefix(url));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
    }

    [Theory]
    [InlineData(new long[] { }, "")]
    [InlineData(new long[] { 2 }, "2")]
    [InlineData(new long[] { 2, 4 }, "2, 4")]
    [InlineData(new long[] { 9, 5, 6, 7, 8, 2, 12, 2 }, "2, 5-9, 12")]
    public void WhenSegmentsAreNamedInOneLine_RunsBecomeRanges(long[] indexes, string expected)
    {
        Assert.Equal(expected, ArchiveCli.Ranges(indexes));
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1024, "1.0 KiB")]
    [InlineData(3L * 1024 * 1024, "3.0 MiB")]
    [InlineData(5L * 1024 * 1024 * 1024 + 1, "5.0 GiB")]
    public void WhenASizeIsShownToPeople_ItUsesBinaryUnits(long bytes, string expected)
    {
        Assert.Equal(expected, ArchiveCli.Size(bytes));
    }

    [Fact]
    public void WhenHelpListsTheExitCodes_EveryCodeOfExitCodesIsThere()
    {
        var codes = typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (int)f.GetValue(null)!).ToList();
        Assert.NotEmpty(codes);
        var lines = HelpText.ExitCodeList.Split('\n');
        foreach (var code in codes)
        {
            Assert.Contains(lines, l => l.TrimStart().StartsWith(code.ToString(System.Globalization.CultureInfo.InvariantCulture) + " ", StringComparison.Ordinal)
                || l.TrimStart().StartsWith(code.ToString(System.Globalization.CultureInfo.InvariantCulture) + ",", StringComparison.Ordinal)
                || l.Contains($", {code} ", StringComparison.Ordinal));
        }
    }
}
