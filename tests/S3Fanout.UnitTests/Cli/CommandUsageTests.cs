using System.CommandLine;
using S3Fanout.Subscriber;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.UnitTests.Cli;

/// <summary>
/// The subscriber's command tree: subcommands refuse the options they do not read, <c>serve</c> refuses -n and -t
/// with a line naming the setting, and hiding the root's URL in a subcommand's help does not hide it from the root's.
/// </summary>
public sealed class CommandUsageTests
{
    [Fact]
    public void WhenTheRootHelpFollowsASubcommandHelp_TheRootStillShowsItsUrl()
    {
        var root = SubscribeCommand.CreateRoot();
        Assert.Equal($"{root.Name} verify <url> [options]", HelpSections.UsageLine(Help(root, "verify", "--help")));
        Assert.Equal($"{root.Name} <url> [command] [options]", HelpSections.UsageLine(Help(root, "--help")));
    }

    [Theory]
    [InlineData("-n", "3", "S3Fanout:Workers")]
    [InlineData("--workers", "3", "S3Fanout:Workers")]
    [InlineData("-t", "2", "S3Fanout:Tries")]
    [InlineData("--tries=2", null, "S3Fanout:Tries")]
    public void WhenServeIsGivenAPerBroadcastOption_ItIsAParseErrorNamingTheSetting(string option, string? value, string setting)
    {
        var parse = SubscribeCommand.CreateRoot().Parse(value is null ? ["serve", option] : ["serve", option, value]);
        var error = Assert.Single(parse.Errors);
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenServeIsGivenOnlyItsOwnOptions_ItParses() =>
        Assert.Empty(SubscribeCommand.CreateRoot().Parse(["serve", "--config", "x.json", "-v", "--json-logs", "--endpoint-url", "http://127.0.0.1:1"]).Errors);

    [Theory]
    [InlineData("ls", "-o", "out")]
    [InlineData("verify", "--wait", "5s")]
    [InlineData("info", "-n", "3")]
    [InlineData("rm", "-m", "8")]
    [InlineData("cleanup-queues", "--progress", null)]
    public void WhenASubcommandIsGivenAnOptionItDoesNotRead_ItIsAParseError(string command, string option, string? value)
    {
        string[] args = value is null ? [command, option, "s3://bucket/x"] : [command, option, value, "s3://bucket/x"];
        Assert.NotEmpty(SubscribeCommand.CreateRoot().Parse(args).Errors);
    }

    private static string Help(RootCommand root, params string[] args)
    {
        using var output = new StringWriter();
        Assert.Equal(0, root.Parse(args).Invoke(new InvocationConfiguration { Output = output }));
        return output.ToString();
    }
}
