using System.Text.Json;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests;

/// <summary>
/// The scale harness, small, so it cannot rot: `bench/run --scale --subscribers 50` (a 2 MiB broadcast, and the relays
/// variant with 2 relays) runs its in-process subscribers through the proxy with AWS's quotas on, every copy is
/// byte-identical in both variants, no relay downloaded a segment, and the JSON and Markdown reports are written.
/// </summary>
[Collection("benchmark")]
public sealed class BenchmarkScaleTests
{
    [Fact]
    public async Task QuickScaleRun_EveryCopyIsIdentical_AndTheReportIsWritten()
    {
        var dir = Directory.CreateTempSubdirectory("s3fanout-bench-scale-");
        try
        {
            var json = Path.Combine(dir.FullName, "scale.json");
            await using var run = ProcessRunner.Start("/bin/bash",
                [Path.Combine(RepoPaths.Root, "bench", "run"), "--scale", "--subscribers", "50", "--relays", "2", "--scale-stream-kib", "2048", "--out", json,
                 "--publisher-dll", RepoPaths.PublisherDll, "--subscriber-dll", RepoPaths.SubscriberDll],
                new ProcessOptions { WorkingDirectory = RepoPaths.Root });
            var code = await run.WaitForExitAsync(TimeSpan.FromMinutes(8));

            Assert.True(code == 0, $"bench/run --scale exited {code}:\n{run.StdoutText}\n{run.StderrTail()}");
            Assert.True(File.Exists(Path.ChangeExtension(json, ".md")), "the Markdown report was not written");
            Assert.Contains("byte-identical", await File.ReadAllTextAsync(Path.ChangeExtension(json, ".md")), StringComparison.Ordinal);
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            var variants = doc.RootElement.GetProperty("variants").EnumerateArray().ToList();
            Assert.Equal(2, variants.Count);
            foreach (var v in variants)
            {
                var name = v.GetProperty("name").GetString();
                Assert.True(v.GetProperty("identical").GetInt32() == 50, $"{name}: {v}");
                Assert.True(v.GetProperty("segments").GetInt32() >= 8, $"{name}: {v}");
                Assert.True(v.GetProperty("joined").GetInt32() >= 50, $"{name}: {v}");
                Assert.Equal(JsonValueKind.Number, v.GetProperty("finish_after_publisher_s").GetProperty("max").ValueKind);
                // Every subscriber fetched every segment at least once, counted at the proxy.
                Assert.True(v.GetProperty("per_segment_and_subscriber").GetProperty("s3_segment_gets").GetDouble() >= 1, $"{name}: {v}");
            }
            var relayed = variants[1].GetProperty("relay");
            Assert.Equal(0, relayed.GetProperty("segment_gets_on_origin").GetInt32());
            Assert.All(relayed.GetProperty("exit_codes").EnumerateArray(), e => Assert.Equal(0, e.GetInt32()));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
