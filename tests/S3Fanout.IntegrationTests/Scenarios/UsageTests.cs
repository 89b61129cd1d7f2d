using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>
/// The executables' --help: each subcommand's usage does not repeat the root's broadcast URL and lists only the
/// options that subcommand reads; the root keeps its URL.
/// </summary>
public sealed class UsageTests
{
    private static readonly TimeSpan s_quick = TimeSpan.FromSeconds(30);
    private static readonly string[] s_common = ["-a", "-s", "-r, --region", "--endpoint-url", "--request-timeout", "-v, --verbose", "--json-logs", "-?, -h, --help"];

    public static TheoryData<string, string, string[]> Subcommands() => new()
    {
        { "ls", "ls <url> [options]", ["--json", "-n, --workers", "-t, --tries"] },
        { "info", "info <url> [options]", ["--json", "-t, --tries"] },
        { "verify", "verify <url> [options]", ["--json", "--against", "-n, --workers", "-t, --tries", "-p, --staging-path", "--transfer-timeout"] },
        { "assemble", "assemble <url> <destination> [options]", ["--wait", "--force", "--verify-download", "--sse", "--sse-kms-key-id", "--json", "-n, --workers", "-t, --tries"] },
        { "rm", "rm <url> [options]", ["-y, --yes", "--json", "-t, --tries"] },
        { "serve", "serve [options]", ["-c, --config", "--set"] },
        { "cleanup-queues", "cleanup-queues <bucket> [options]", ["--older-than", "--dry-run", "--json"] },
        {
            "relay", "relay <from> <to> [options]", ["-n, --workers", "-t, --tries", "-p, --staging-path", "--transfer-timeout", "--to-region", "--to-endpoint-url",
                "--wait", "--stall-timeout", "--poll-interval", "--from-notify", "--from-topic", "--notify", "--topic", "--heartbeat-interval", "--replicas", "--checksum", "--sse", "--sse-kms-key-id"]
        },
    };

    [Theory]
    [MemberData(nameof(Subcommands))]
    public async Task WhenASubcommandShowsItsHelp_TheUsageHasNoRootUrlAndListsOnlyTheOptionsItReads(string command, string usage, string[] own)
    {
        var help = await HelpAsync(ProcessRunner.StartSubscriber([command, "--help"]));

        Assert.Equal($"{ScenarioKit.Subscribe} {usage}", HelpSections.UsageLine(help));
        Assert.Equal(own.Concat(s_common).Order(StringComparer.Ordinal), HelpSections.OptionNames(help).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("the broadcast to follow", help, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string[], string[]> Roots() => new()
    {
        { ScenarioKit.Subscribe, "<url> [command] [options]", ["-o, --output", "--notify", "--wait", "--json-logs"], ["-c, --config", "--json"] },
        { ScenarioKit.Publish, "<url> [options]", ["-m, --segment-size", "--flush-interval", "--notify", "--json-logs"], ["-o, --output", "--wait"] },
    };

    [Theory]
    [MemberData(nameof(Roots))]
    public async Task WhenAnExecutableShowsItsHelp_ItsUsageHasTheBroadcastUrlAndItsOwnOptions(string executable, string usage, string[] has, string[] hasNot)
    {
        var help = await HelpAsync(executable == ScenarioKit.Publish ? ProcessRunner.StartPublisher(["--help"]) : ProcessRunner.StartSubscriber(["--help"]));

        Assert.Equal($"{executable} {usage}", HelpSections.UsageLine(help));
        var names = HelpSections.OptionNames(help);
        Assert.All(has, n => Assert.Contains(n, names));
        Assert.All(hasNot, n => Assert.DoesNotContain(n, names));
    }

    [Theory]
    [InlineData("-n", "3", "S3Fanout:Workers")]
    [InlineData("-t", "2", "S3Fanout:Tries")]
    public async Task WhenServeIsGivenAPerBroadcastOption_ItExits2WithOneLineNamingTheSetting(string option, string value, string setting)
    {
        await using var serve = ProcessRunner.StartSubscriber(["serve", option, value]);
        Assert.Equal(2, await serve.WaitForExitAsync(s_quick));
        var line = ScenarioKit.AssertOneErrorLine(serve, ScenarioKit.Subscribe);
        Assert.Contains(option, line, StringComparison.Ordinal);
        Assert.Contains(setting, line, StringComparison.Ordinal);
    }

    private static async Task<string> HelpAsync(RunningProcess process)
    {
        await using (process)
        {
            await process.EnsureExitCodeAsync(s_quick, 0);
            return process.StdoutText;
        }
    }
}
