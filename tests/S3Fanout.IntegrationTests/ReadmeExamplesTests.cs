using System.Text.RegularExpressions;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests;

/// <summary>The README's usage block is run verbatim, so the README stays true.</summary>
[Collection("emulator")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class ReadmeExamplesTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task WhenTheReadmeUsageBlockRuns_EveryCommandSucceedsWithTheDocumentedOutput()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "README.md"));
        var match = UsageBlock().Match(readme);
        Assert.True(match.Success, "README.md has no usage block after the ReadmeExamplesTests marker");
        var bucket = await emulator.CreateBucketAsync("readme");
        var script = match.Groups["body"].Value.Replace("my-bucket", bucket, StringComparison.Ordinal);

        var work = Directory.CreateTempSubdirectory("s3fanout-readme-");
        try
        {
            var bin = Directory.CreateDirectory(Path.Combine(work.FullName, "bin")).FullName;
            WriteWrapper(bin, "s3fanout-publish", RepoPaths.PublisherDll);
            WriteWrapper(bin, "s3fanout-subscribe", RepoPaths.SubscriberDll);
            var env = emulator.ChildEnvironmentWith(("PATH", bin + ":" + Environment.GetEnvironmentVariable("PATH")));
            await using var run = ProcessRunner.Start("/bin/bash", ["-euo", "pipefail", "-c", script],
                new ProcessOptions { Environment = env, WorkingDirectory = work.FullName });
            var code = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));

            Assert.True(code == 0, $"README block exited {code}: {run.StderrTail()}");
            var output = run.StdoutText;
            Assert.Contains("etc/hostname", output, StringComparison.Ordinal);
            Assert.Contains("etc/os-release", output, StringComparison.Ordinal);
            Assert.Contains("log line 1\nlog line 2\nlog line 3\n", output, StringComparison.Ordinal);
            Assert.EndsWith("hello\n", output, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(work.FullName, "app.log.partial")), "the .partial file must be renamed away");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static void WriteWrapper(string bin, string name, string dll)
    {
        var path = Path.Combine(bin, name);
        File.WriteAllText(path, $"#!/bin/sh\nexec \"{ProcessRunner.DotnetHost}\" exec \"{dll}\" \"$@\"\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [GeneratedRegex(@"ReadmeExamplesTests\.cs[^\n]*\n[^\n]*-->\s*```bash\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex UsageBlock();
}
