using System.Diagnostics;
using System.Globalization;
using S3Fanout.IntegrationTests.Scenarios;
using S3Fanout.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>
/// Case 8: the subscriber's sink fails. Stdout closed early (piped into <c>head -c 1000</c>): exit 9 with one clear
/// line, and its queue is deleted. <c>-o</c> into a read-only filesystem or a full one (tiny tmpfs mounts; the tests run
/// as root, as CI does): exit 9 with one clear line, and FILE never appears.
/// </summary>
[Collection("emulator-reliability")]
public sealed class SinkErrorTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private readonly ScenarioKit _kit = new(emulator);

    [Fact]
    public async Task Stdout_closed_after_1000_bytes_ends_with_exit_9_and_the_queue_is_deleted()
    {
        var bucket = await emulator.CreateBucketAsync("sink-head");
        var url = ScenarioKit.Url(bucket, "stream");
        var data = new TestData(3L * MiB, seed: 81);
        // The subscriber's own exit code, not head's.
        var command = ScenarioKit.ShellCommand(RepoPaths.SubscriberDll, url) + " | head -c 1000 > /dev/null; exit ${PIPESTATUS[0]}";
        await using var subscriber = ProcessRunner.Start("/bin/bash", ["-c", command], new ProcessOptions { Environment = emulator.ChildEnvironment });
        await _kit.WaitForSubscriberQueuesAsync(bucket, 1);
        var clock = Stopwatch.StartNew();
        await using var publisher = _kit.StartPublisher(["-m", "1", url], stdin: data.OpenRead());

        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        var took = clock.Elapsed;
        await publisher.EnsureExitCodeAsync(ScenarioKit.ExitDeadline);
        Assert.True(code == 9, $"subscriber exit {code}, expected 9:\n{subscriber.StderrTail()}");
        var line = ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe);
        Assert.Contains("output", line, StringComparison.Ordinal);
        Assert.Empty(await _kit.ListSubscriberQueuesAsync(bucket));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stdout | head -c 1000: exit {code} {took.TotalSeconds:0.0} s after the publisher started, queue deleted\n{line}"));
    }

    [Fact]
    public async Task Output_file_on_a_read_only_filesystem_fails_with_exit_9_and_no_file()
    {
        var bucket = await emulator.CreateBucketAsync("sink-ro");
        var data = new TestData(MiB, seed: 82);
        await _kit.PublishAsync(bucket, "stream", data);
        await using var mount = await TmpfsMount.CreateAsync("ro,size=1m");
        var file = Path.Combine(mount.Path, "copy.bin");

        await using var subscriber = _kit.StartSubscriber(["-o", file, ScenarioKit.Url(bucket, "stream")]);
        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        Assert.True(code == 9, $"subscriber exit {code}, expected 9:\n{subscriber.StderrTail()}");
        var line = ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe);
        Assert.False(File.Exists(file), $"{file} exists");
        output.WriteLine($"-o on a read-only tmpfs: exit {code}, no {Path.GetFileName(file)}\n{line}");
    }

    [Fact]
    public async Task Output_file_on_a_full_filesystem_fails_with_exit_9_and_no_file()
    {
        var bucket = await emulator.CreateBucketAsync("sink-full");
        var data = new TestData(3L * MiB, seed: 83);
        await _kit.PublishAsync(bucket, "stream", data, "-m", "1");
        await using var mount = await TmpfsMount.CreateAsync("size=1m");
        var file = Path.Combine(mount.Path, "copy.bin");

        await using var subscriber = _kit.StartSubscriber(["-o", file, ScenarioKit.Url(bucket, "stream")]);
        var code = await subscriber.WaitForExitAsync(ScenarioKit.ExitDeadline);
        Assert.True(code == 9, $"subscriber exit {code}, expected 9:\n{subscriber.StderrTail()}");
        var line = ScenarioKit.AssertOneErrorLine(subscriber, ScenarioKit.Subscribe);
        Assert.False(File.Exists(file), $"{file} exists although the stream could not be written");
        output.WriteLine($"-o on a full 1 MiB tmpfs ({data.Length} bytes to write): exit {code}, no {Path.GetFileName(file)}; left: {string.Join(", ", Directory.GetFiles(mount.Path).Select(Path.GetFileName))}\n{line}");
    }

    /// <summary>A tmpfs mounted on a fresh temporary directory, unmounted and removed on dispose. Needs root (CAP_SYS_ADMIN).</summary>
    private sealed class TmpfsMount : IAsyncDisposable
    {
        private TmpfsMount(string path) => Path = path;

        public string Path { get; }

        public static async Task<TmpfsMount> CreateAsync(string options)
        {
            var dir = Directory.CreateTempSubdirectory("s3fanout-tmpfs-").FullName;
            await using var mount = ProcessRunner.Start("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir]);
            var code = await mount.WaitForExitAsync(TimeSpan.FromSeconds(20));
            Assert.True(code == 0, $"mount -t tmpfs -o {options} failed ({code}): {mount.Stderr.Trim()}. These tests need root, as CI runs them.");
            return new TmpfsMount(dir);
        }

        public async ValueTask DisposeAsync()
        {
            await using (var umount = ProcessRunner.Start("umount", [Path]))
            {
                await umount.WaitForExitAsync(TimeSpan.FromSeconds(20));
            }
            Directory.Delete(Path, recursive: true);
        }
    }
}
