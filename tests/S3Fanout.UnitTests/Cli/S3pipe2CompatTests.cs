using S3Fanout.Shared.Cli;
using Xunit;

namespace S3Fanout.UnitTests.Cli;

public sealed class S3pipe2CompatTests
{
    [Theory]
    [InlineData("to s3://b/p", "to", "s3://b/p")]
    [InlineData("-m 8 to bucket/path", "to", "-m 8 bucket/path")]
    [InlineData("-v to bucket/path", "to", "-v bucket/path")]
    [InlineData("--verbose -n 4 to bucket/path", "to", "--verbose -n 4 bucket/path")]
    [InlineData("from bucket/path", "from", "bucket/path")]
    [InlineData("-t 3 from bucket/path -o out.bin", "from", "-t 3 bucket/path -o out.bin")]
    [InlineData("--json-logs from bucket/path", "from", "--json-logs bucket/path")]
    public void WhenTheDirectionWordComesBeforeThePath_ItIsDropped(string args, string verb, string expected) =>
        Assert.Equal(Split(expected), S3pipe2Compat.DropVerb(Split(args), verb));

    [Theory]
    [InlineData("-o to bucket/path", "to")] // an output file named "to"
    [InlineData("-o from bucket/path", "from")]
    [InlineData("--topic to bucket/path", "to")]
    [InlineData("-p from bucket/path", "from")]
    public void WhenTheDirectionWordIsAnOptionValue_ItIsKept(string args, string verb) =>
        Assert.Equal(Split(args), S3pipe2Compat.DropVerb(Split(args), verb));

    [Fact]
    public void WhenTheWordIsAnOptionValueAndTheVerbFollows_OnlyTheVerbIsDropped() =>
        Assert.Equal(Split("-o from bucket/path"), S3pipe2Compat.DropVerb(Split("-o from from bucket/path"), "from"));

    [Theory]
    [InlineData("bucket/path to", "to")] // nothing follows: it is the path
    [InlineData("to", "to")]
    [InlineData("bucket/path", "to")]
    [InlineData("from bucket/path", "to")] // the other tool's verb
    [InlineData("", "to")]
    public void WhenNoPathFollowsTheWord_NothingIsDropped(string args, string verb) =>
        Assert.Equal(Split(args), S3pipe2Compat.DropVerb(Split(args), verb));

    [Theory]
    [InlineData("bucket/path", "s3://bucket/path")]
    [InlineData("/bucket/path", "s3://bucket/path")]
    [InlineData("bucket/a/b/", "s3://bucket/a/b/")]
    [InlineData("s3://bucket/path", "s3://bucket/path")]
    [InlineData("https://bucket/path", "https://bucket/path")]
    [InlineData("bucket", "bucket")]
    public void WhenTheUrlHasNoScheme_S3IsAssumed(string url, string expected) =>
        Assert.Equal(expected, S3pipe2Compat.NormalizeUrl(url));

    private static string[] Split(string args) => args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
