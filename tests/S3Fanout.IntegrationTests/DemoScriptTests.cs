using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests;

/// <summary>The README's first command, on a small stream: it must start its own emulator and verify three copies.</summary>
public sealed class DemoScriptTests
{
    [Fact]
    public async Task WhenTheDemoRuns_AllThreeCopiesMatch()
    {
        await using var run = ProcessRunner.Start("/bin/bash", [Path.Combine(RepoPaths.Root, "scripts", "demo"), "16"],
            new ProcessOptions { WorkingDirectory = RepoPaths.Root });
        var code = await run.WaitForExitAsync(TimeSpan.FromMinutes(4));

        Assert.True(code == 0, $"scripts/demo exited {code}: {run.StdoutText}\n{run.StderrTail()}");
        Assert.Contains("all 3 copies match", run.StdoutText, StringComparison.Ordinal);
        Assert.Equal(3, run.StdoutText.Split('\n').Count(l => l.Contains("SHA-256 matches", StringComparison.Ordinal)));
    }
}
