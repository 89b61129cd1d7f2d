using System.Diagnostics;
using System.IO.Hashing;
using System.Security.Cryptography;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Fanout.Bench;

/// <summary>
/// `bench/run --sdk-variants`: where the client's CPU goes. Times the per-byte work S3Fanout adds (MD5, SHA-256,
/// CRC-64/NVME over the same bytes, in memory), then raw PUT and GET variants against the emulator, alternating, so a
/// change to the product's S3 calls can be judged before it is made. Prints one line per variant and round.
/// </summary>
internal static class SdkVariants
{
    public static async Task<int> RunAsync(BenchOptions o, string bucket, string file)
    {
        var size = o.SizeBytes;
        var data = new byte[BenchOptions.SegmentBytes];
        await using (var f = File.OpenRead(file))
        {
            await f.ReadExactlyAsync(data).ConfigureAwait(false);
        }
        Stages.Log($"per-byte work over {Report.SizeText(size)} (one 8 MiB buffer hashed {size / data.Length} times), CPU seconds per GiB:");
        foreach (var (name, work) in new (string, Action<byte[]>)[]
        {
            ("MD5 (Content-MD5)", d => MD5Hash(d)),
            ("SHA-256 (stream hash; also what SigV4 payload signing costs)", d => SHA256.HashData(d)),
            ("CRC-64/NVME (segment checksum)", d => Crc64.Hash(d)),
            ("memcpy (one copy of the bytes)", d => d.AsSpan().CopyTo(new byte[d.Length])),
        })
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (long done = 0; done < size; done += data.Length)
            {
                work(data);
            }
            var seconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            Console.WriteLine($"  {name,-62} {seconds / (size / 1073741824.0),6:F2} s/GiB");
        }

        var variants = new (string Name, Func<AmazonS3Client, string, Task> Run)[]
        {
            ("PUT SDK default (aws-chunked SigV4 over HTTP)", (c, p) => PutAsync(c, bucket, p, file, size, md5: false, chunked: true, sdkMd5: true)),
            ("PUT + Content-MD5, SDK defaults (publisher before 80c0e32)", (c, p) => PutAsync(c, bucket, p, file, size, md5: true, chunked: true, sdkMd5: true)),
            ("PUT UseChunkEncoding=false", (c, p) => PutAsync(c, bucket, p, file, size, md5: false, chunked: false, sdkMd5: true)),
            ("PUT + Content-MD5, UseChunkEncoding=false", (c, p) => PutAsync(c, bucket, p, file, size, md5: true, chunked: false, sdkMd5: true)),
            ("PUT unchunked, no SDK MD5 (the limit)", (c, p) => PutAsync(c, bucket, p, file, size, md5: false, chunked: false, sdkMd5: false)),
            ("PUT + Content-MD5, unchunked, no SDK MD5 (as s3fanout-publish)", (c, p) => PutAsync(c, bucket, p, file, size, md5: true, chunked: false, sdkMd5: false)),
        };
        using var client = CreateClient(o.Endpoint);
        using var http = new HttpClient { BaseAddress = o.Endpoint };
        var cpuMeter = new CpuMeter(o.EmulatorPid);
        for (var round = 0; round < o.Runs; round++)
        {
            for (var k = 0; k < variants.Length; k++)
            {
                var (name, run) = variants[(k + round) % variants.Length];
                var prefix = $"variants/r{round}-{k}";
                var put = await Measure(cpuMeter, () => run(client, prefix)).ConfigureAwait(false);
                Print(round, name, put, size);
                if (k == 0)
                {
                    var get = await Measure(cpuMeter, () => GetSdkAsync(client, bucket, prefix, size)).ConfigureAwait(false);
                    Print(round, "GET SDK GetObject, whole object (subscriber before a7c5c23)", get, size);
                    var ranged = await Measure(cpuMeter, () => GetSdkAsync(client, bucket, prefix, size, ranged: true)).ConfigureAwait(false);
                    Print(round, "GET ByteRange = whole object (the limit; as s3fanout-subscribe)", ranged, size);
                    var raw = await Measure(cpuMeter, () => GetHttpAsync(http, bucket, prefix, size)).ConfigureAwait(false);
                    Print(round, "GET plain HttpClient, unsigned (transport floor)", raw, size);
                }
                await DeleteAsync(client, bucket, prefix).ConfigureAwait(false);
            }
        }
        return 0;
    }

    private static byte[] MD5Hash(byte[] d)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(d);
        return md5.GetHashAndReset();
    }

    private static void Print(int round, string name, Sample s, long size) =>
        Console.WriteLine($"  round {round + 1}  {name,-64} {s.MiBPerSecond(size),7:F1} MiB/s  client CPU {s.ClientCpuS / (size / 1073741824.0),5:F2} s/GiB  emulator CPU {s.EmulatorCpuS / (size / 1073741824.0),5:F2} s/GiB  other {s.OtherCpuS,5:F1} s");

    private static async Task<Sample> Measure(CpuMeter cpu, Func<Task> action)
    {
        var before = cpu.Read();
        var watch = Stopwatch.StartNew();
        await action().ConfigureAwait(false);
        var wall = watch.Elapsed.TotalSeconds;
        var after = cpu.Read();
        return new Sample(wall, after.Self - before.Self, after.Emulator - before.Emulator, after.MachineBusy - before.MachineBusy, after.MachineTotal - before.MachineTotal, 0);
    }

    private static AmazonS3Client CreateClient(Uri endpoint) => new(new BasicAWSCredentials("bench", "bench"), new AmazonS3Config
    {
        ForcePathStyle = true,
        RegionEndpoint = RegionEndpoint.USEast1,
        ServiceURL = endpoint.ToString(),
        AuthenticationRegion = "us-east-1",
        RetryMode = RequestRetryMode.Standard,
        MaxErrorRetry = 2,
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        MaxConnectionsPerServer = 8,
    });

    private static int Count(long size) => (int)((size + BenchOptions.SegmentBytes - 1) / BenchOptions.SegmentBytes);

    private static Task ForEachSegment(long size, Func<int, byte[], Task> work)
    {
        var next = -1;
        var count = Count(size);
        return Task.WhenAll(Enumerable.Range(0, BenchOptions.Workers).Select(_ => Task.Run(async () =>
        {
            var buffer = GC.AllocateUninitializedArray<byte>((int)BenchOptions.SegmentBytes);
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await work(i, buffer).ConfigureAwait(false);
            }
        })));
    }

    private static Task PutAsync(AmazonS3Client client, string bucket, string prefix, string file, long size, bool md5, bool chunked, bool sdkMd5) =>
        ForEachSegment(size, async (i, buffer) =>
        {
            var offset = i * BenchOptions.SegmentBytes;
            var length = (int)Math.Min(BenchOptions.SegmentBytes, size - offset);
            using (var handle = File.OpenHandle(file))
            {
                for (var read = 0; read < length;)
                {
                    read += RandomAccess.Read(handle, buffer.AsSpan(read, length - read), offset + read);
                }
            }
            using var body = new MemoryStream(buffer, 0, length, writable: false);
            var request = new PutObjectRequest { BucketName = bucket, Key = $"{prefix}/{i + 1:D15}", InputStream = body, AutoCloseStream = false, UseChunkEncoding = chunked, DisableDefaultChecksumValidation = !sdkMd5 };
            if (md5)
            {
                request.MD5Digest = Convert.ToBase64String(MD5Hash(length == buffer.Length ? buffer : buffer[..length]));
            }
            await client.PutObjectAsync(request).ConfigureAwait(false);
        });

    private static Task GetSdkAsync(AmazonS3Client client, string bucket, string prefix, long size, bool ranged = false) =>
        ForEachSegment(size, async (i, buffer) =>
        {
            var request = new GetObjectRequest { BucketName = bucket, Key = $"{prefix}/{i + 1:D15}" };
            if (ranged)
            {
                request.ByteRange = new ByteRange(0, Math.Min(BenchOptions.SegmentBytes, size - (i * BenchOptions.SegmentBytes)) - 1);
            }
            using var response = await client.GetObjectAsync(request).ConfigureAwait(false);
            while (await response.ResponseStream.ReadAsync(buffer.AsMemory(0, 1024 * 1024)).ConfigureAwait(false) > 0)
            {
            }
        });

    private static Task GetHttpAsync(HttpClient http, string bucket, string prefix, long size) =>
        ForEachSegment(size, async (i, buffer) =>
        {
            using var response = await http.GetAsync($"{bucket}/{prefix}/{i + 1:D15}", HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            while (await body.ReadAsync(buffer.AsMemory(0, 1024 * 1024)).ConfigureAwait(false) > 0)
            {
            }
        });

    private static async Task DeleteAsync(AmazonS3Client client, string bucket, string prefix)
    {
        var page = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix + "/" }).ConfigureAwait(false);
        var keys = (page.S3Objects ?? []).Select(x => new KeyVersion { Key = x.Key }).ToList();
        if (keys.Count > 0)
        {
            await client.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = keys, Quiet = true }).ConfigureAwait(false);
        }
    }
}
