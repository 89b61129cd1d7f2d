using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests;

/// <summary>scripts/completion.bash, as the README tells users to source it, completes options and subcommands.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ShellCompletionTests
{
    [Theory]
    [InlineData("s3fanout-subscribe --no", "--notify")]
    [InlineData("s3fanout-subscribe ver", "verify")]
    [InlineData("s3fanout-publish --flush", "--flush-interval")]
    public async Task WhenTheCompletionScriptIsSourced_TabCompletesOptionsAndSubcommands(string line, string expected)
    {
        var bin = Directory.CreateTempSubdirectory("s3fanout-complete-");
        try
        {
            foreach (var (name, dll) in new[] { ("s3fanout-publish", RepoPaths.PublisherDll), ("s3fanout-subscribe", RepoPaths.SubscriberDll) })
            {
                var path = Path.Combine(bin.FullName, name);
                await File.WriteAllTextAsync(path, $"#!/bin/sh\nexec \"{ProcessRunner.DotnetHost}\" exec \"{dll}\" \"$@\"\n");
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            var words = line.Split(' ');
            var script = $"""
                source '{Path.Combine(RepoPaths.Root, "scripts", "completion.bash")}'
                COMP_LINE='{line}'; COMP_POINT=${"{#"}COMP_LINE{"}"}
                COMP_WORDS=({string.Join(' ', words.Select(w => $"'{w}'"))}); COMP_CWORD={words.Length - 1}
                _s3fanout_complete {words[0]}
                printf '%s\n' "${"{"}COMPREPLY[@]{"}"}"
                """;
            await using var run = ProcessRunner.Start("/bin/bash", ["-c", script], new ProcessOptions
            {
                Environment = new Dictionary<string, string> { ["PATH"] = bin.FullName + ":" + Environment.GetEnvironmentVariable("PATH") },
            });
            await run.EnsureExitCodeAsync(TimeSpan.FromSeconds(60), 0);
            Assert.Contains(expected, run.StdoutText.Split('\n'));
        }
        finally
        {
            bin.Delete(recursive: true);
        }
    }
}
