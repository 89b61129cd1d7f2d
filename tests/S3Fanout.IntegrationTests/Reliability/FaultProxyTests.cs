using System.Diagnostics;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using S3Fanout.Shared.Aws.Sns;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using Xunit;
using Xunit.Abstractions;

namespace S3Fanout.IntegrationTests.Reliability;

/// <summary>The fault proxy itself: faithful with faults off, and each fault does what it says.</summary>
[Collection("emulator-reliability")]
public sealed class FaultProxyTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task With_faults_off_S3_SQS_and_SNS_work_through_the_proxy_byte_for_byte()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        var putHeaders = new List<string>();
        proxy.RequestSeen += r =>
        {
            if (r.Method == "PUT")
            {
                lock (putHeaders)
                {
                    putHeaders.Add(string.Join(", ", r.Head.Headers.Where(h => h.Key is not "Authorization").Select(h => $"{h.Key}: {h.Value}")));
                }
            }
        };
        using var s3 = S3Through(proxy);
        var bucket = await emulator.CreateBucketAsync("proxy-faithful");
        var data = new TestData(3L * MiB + 17, seed: 5);

        await using (var body = data.OpenRead())
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "dir/big.bin", InputStream = body, AutoCloseStream = false });
        }
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "dir/text.txt", ContentBody = "hello ✓" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "dir/empty", ContentBody = "" });

        using (var got = await s3.GetObjectAsync(bucket, "dir/big.bin"))
        {
            Assert.Equal(data.Length, got.ContentLength);
            Assert.Equal(data.Sha256, TestData.Sha256Hex(got.ResponseStream));
        }
        // The same object read directly from the emulator: the PUT went through unchanged.
        using (var direct = await emulator.S3.GetObjectAsync(bucket, "dir/big.bin"))
        {
            Assert.Equal(data.Sha256, TestData.Sha256Hex(direct.ResponseStream));
        }
        var meta = await s3.GetObjectMetadataAsync(bucket, "dir/big.bin");
        Assert.Equal(data.Length, meta.ContentLength);
        using (var text = await s3.GetObjectAsync(bucket, "dir/text.txt"))
        using (var reader = new StreamReader(text.ResponseStream))
        {
            Assert.Equal("hello ✓", await reader.ReadToEndAsync());
        }
        var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "dir/" });
        Assert.Equal(["dir/big.bin", "dir/empty", "dir/text.txt"], listing.S3Objects.Select(o => o.Key).Order(StringComparer.Ordinal));
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "dir/nothing"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await s3.DeleteObjectAsync(bucket, "dir/big.bin");

        using var sqs = SqsThrough(proxy);
        var queue = await emulator.CreateQueueAsync("proxy-faithful");
        await sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = queue.Url,
            MessageBody = "{\"x\":\"ü\"}",
            MessageAttributes = new() { ["a"] = new MessageAttributeValue { DataType = "String", StringValue = "b" } },
        });
        var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queue.Url, WaitTimeSeconds = 2, MessageAttributeNames = ["All"] });
        Assert.Equal("{\"x\":\"ü\"}", Assert.Single(received.Messages).Body);
        Assert.Equal("b", received.Messages[0].MessageAttributes["a"].StringValue);

        using var sns = new SnsClient(new SnsClientOptions { ServiceUrl = proxy.Endpoint, Region = emulator.Region }, emulator.Credentials);
        var topic = await sns.CreateTopicAsync(emulator.UniqueName("proxy-faithful"), null, CancellationToken.None);
        Assert.StartsWith("arn:aws:sns:", topic, StringComparison.Ordinal);

        Assert.Equal(0, proxy.Counts.TotalInjected);
        Assert.True(proxy.Counts.Requests(AwsService.S3) >= 9, proxy.Counts.ToString());
        Assert.Equal(2, proxy.Counts.Requests(AwsService.Sqs));
        Assert.Equal(1, proxy.Counts.Requests(AwsService.Sns));
        output.WriteLine(proxy.Counts.ToString());
        foreach (var line in putHeaders)
        {
            output.WriteLine("PUT headers: " + line);
        }
    }

    [Theory]
    [InlineData(FaultKind.Error500, 500, "InternalError")]
    [InlineData(FaultKind.SlowDown503, 503, "SlowDown")]
    [InlineData(FaultKind.TooMany429, 429, "TooManyRequests")]
    public async Task Error_faults_answer_with_the_status_and_an_S3_error_body_without_reaching_the_endpoint(FaultKind kind, int status, string code)
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 2);
        using var s3 = S3Through(proxy);
        var bucket = await emulator.CreateBucketAsync("proxy-errors");
        proxy.Plan = Only(kind);

        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" }));
        Assert.Equal((HttpStatusCode)status, e.StatusCode);
        Assert.Equal(code, e.ErrorCode);
        Assert.Equal(1, proxy.Counts.Injected(kind));
        var notThere = await Assert.ThrowsAsync<AmazonS3Exception>(() => emulator.S3.GetObjectMetadataAsync(bucket, "k"));
        Assert.Equal(HttpStatusCode.NotFound, notThere.StatusCode);
    }

    [Fact]
    public async Task Reset_before_the_response_fails_the_call_after_the_request_took_effect()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 3);
        using var s3 = S3Through(proxy);
        var bucket = await emulator.CreateBucketAsync("proxy-reset");
        proxy.Plan = Only(FaultKind.ResetBeforeResponse);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "applied" }));
        Assert.True(IsConnectionFailure(e), e.ToString());
        // The SDK's HTTP stack retries a request that got no response at all on a new connection a few times.
        Assert.True(proxy.Counts.Injected(FaultKind.ResetBeforeResponse) >= 1, proxy.Counts.ToString());
        output.WriteLine($"{proxy.Counts}; the call failed with {e.GetType().Name}: {e.Message}");
        using var direct = await emulator.S3.GetObjectAsync(bucket, "k");
        Assert.Equal("applied", await new StreamReader(direct.ResponseStream).ReadToEndAsync());
    }

    [Fact]
    public async Task Reset_mid_body_fails_the_read_of_a_GET_body()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 4);
        using var s3 = S3Through(proxy);
        var bucket = await emulator.CreateBucketAsync("proxy-midbody");
        await PutAsync(bucket, "k", new TestData(MiB, seed: 1));
        proxy.Plan = Only(FaultKind.ResetMidBody);

        var e = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var got = await s3.GetObjectAsync(bucket, "k");
            await got.ResponseStream.CopyToAsync(Stream.Null);
        });
        Assert.True(IsConnectionFailure(e), e.ToString());
        Assert.Equal(1, proxy.Counts.Injected(FaultKind.ResetMidBody));
    }

    [Fact]
    public async Task Delay_holds_the_response_back()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 5);
        using var s3 = S3Through(proxy);
        var bucket = await emulator.CreateBucketAsync("proxy-delay");
        await PutAsync(bucket, "k", new TestData(1000, seed: 1));
        proxy.Plan = Only(FaultKind.Delay) with { DelayMin = TimeSpan.FromMilliseconds(700), DelayMax = TimeSpan.FromMilliseconds(800) };

        var clock = Stopwatch.StartNew();
        using (var got = await s3.GetObjectAsync(bucket, "k"))
        {
            await got.ResponseStream.CopyToAsync(Stream.Null);
        }
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(690), $"took {clock.ElapsedMilliseconds} ms");
        Assert.Equal(1, proxy.Counts.Injected(FaultKind.Delay));
    }

    [Fact]
    public async Task Truncate_serves_the_first_half_of_a_GET_body_with_a_matching_length()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 6);
        using var s3 = S3Through(proxy);
        var bucket = await emulator.CreateBucketAsync("proxy-truncate");
        var data = new TestData(100_000, seed: 2);
        await PutAsync(bucket, "k", data);
        proxy.Plan = Only(FaultKind.TruncateGetBody);

        // Plain HTTP, so the SDK's own checks do not get in the way (the emulator does not check signatures).
        using var http = new HttpClient();
        using var got = await http.GetAsync(new Uri(proxy.Endpoint, $"/{bucket}/k"));
        var bytes = await got.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal(50_000, got.Content.Headers.ContentLength);
        Assert.Equal(data.Slice(0, 50_000), bytes);
        Assert.Equal(1, proxy.Counts.Injected(FaultKind.TruncateGetBody));

        // The SDK compares a single-part object's body with its ETag (MD5) and notices.
        var e = await Assert.ThrowsAnyAsync<AmazonClientException>(async () =>
        {
            using var sdk = await s3.GetObjectAsync(bucket, "k");
            await sdk.ResponseStream.CopyToAsync(Stream.Null);
        });
        output.WriteLine($"SDK: {e.GetType().Name}: {e.Message}");
    }

    [Fact]
    public async Task Flip_inverts_a_few_bytes_of_a_GET_body_and_nothing_else()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 7);
        using var s3 = S3Through(proxy);
        var bucket = await emulator.CreateBucketAsync("proxy-flip");
        var data = new TestData(100_000, seed: 3);
        await PutAsync(bucket, "k", data);
        await PutAsync(bucket, "other", data);
        proxy.Plan = Only(FaultKind.FlipGetBody) with { BytesFlipped = 3, Eligible = r => r.Key == "k" };

        using var http = new HttpClient();
        var bytes = await http.GetByteArrayAsync(new Uri(proxy.Endpoint, $"/{bucket}/k"));
        var original = data.ToArray();
        Assert.Equal(original.Length, bytes.Length);
        var differing = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] != original[i]).ToList();
        Assert.Equal(3, differing.Count);
        Assert.All(differing, i => Assert.Equal((byte)(original[i] ^ 0xFF), bytes[i]));

        using (var other = await s3.GetObjectAsync(bucket, "other"))
        {
            Assert.Equal(original, await ReadAllAsync(other.ResponseStream));
        }
        Assert.Equal(1, proxy.Counts.Injected(FaultKind.FlipGetBody));

        var e = await Assert.ThrowsAnyAsync<AmazonClientException>(async () =>
        {
            using var sdk = await s3.GetObjectAsync(bucket, "k");
            await sdk.ResponseStream.CopyToAsync(Stream.Null);
        });
        output.WriteLine($"SDK: {e.GetType().Name}: {e.Message}");
    }

    [Fact]
    public async Task Dropped_SQS_messages_are_gone_for_good()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 8);
        using var sqs = SqsThrough(proxy);
        var queue = await emulator.CreateQueueAsync("proxy-drop");
        await SendAsync(queue.Url, 5);
        proxy.Plan = new FaultPlan { SqsDrop = 1.0 };

        var got = await ReceiveAllAsync(sqs, queue.Url, TimeSpan.FromSeconds(3));
        Assert.Empty(got);
        Assert.Equal(5, proxy.Counts.Injected(FaultKind.SqsDrop));
        var attributes = await emulator.Sqs.GetQueueAttributesAsync(queue.Url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
        Assert.Equal(0, attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible);
    }

    [Fact]
    public async Task Duplicated_SQS_messages_arrive_twice_and_late_ones_after_later_results()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 9);
        using var sqs = SqsThrough(proxy);
        var queue = await emulator.CreateQueueAsync("proxy-dup");
        await SendAsync(queue.Url, 4);
        proxy.Plan = new FaultPlan { SqsDuplicate = 1.0 };
        var got = await ReceiveAllAsync(sqs, queue.Url, TimeSpan.FromSeconds(4));
        Assert.Equal(8, got.Count);
        Assert.All(got.GroupBy(m => m.Body), g => Assert.Equal(2, g.Count()));
        Assert.Equal(4, proxy.Counts.Injected(FaultKind.SqsDuplicate));

        var late = await emulator.CreateQueueAsync("proxy-late");
        await emulator.Sqs.SendMessageAsync(late.Url, "early");
        proxy.Plan = new FaultPlan { SqsLate = 1.0, SqsLateMaxResponses = 1 };
        var first = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = late.Url, WaitTimeSeconds = 2 });
        Assert.Empty(first.Messages ?? []);
        proxy.Plan = FaultPlan.None;
        await emulator.Sqs.SendMessageAsync(late.Url, "later");
        var second = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = late.Url, WaitTimeSeconds = 2 });
        // The held message comes after one sent after it: reordered.
        Assert.Equal(["later", "early"], second.Messages.Select(m => m.Body));
        Assert.Equal(1, proxy.Counts.Injected(FaultKind.SqsLate));
    }

    [Theory]
    [InlineData(OutageMode.Refuse)]
    [InlineData(OutageMode.Reset)]
    public async Task An_outage_fails_every_call_until_it_ends(OutageMode mode)
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 10);
        using var s3 = S3Through(proxy);
        var bucket = await emulator.CreateBucketAsync("proxy-outage");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" });

        proxy.BeginOutage(mode);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => s3.GetObjectMetadataAsync(bucket, "k"));
        Assert.True(IsConnectionFailure(e), e.ToString());
        proxy.EndOutage();
        Assert.Equal(1, (await s3.GetObjectMetadataAsync(bucket, "k")).ContentLength);
    }

    [Fact]
    public async Task The_same_seed_faults_the_same_requests()
    {
        var bucket = await emulator.CreateBucketAsync("proxy-seed");
        for (var i = 0; i < 30; i++)
        {
            await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"k{i}", ContentBody = "x" });
        }
        async Task<string> PatternAsync(int seed)
        {
            await using var proxy = new FaultProxy(emulator.Endpoint, seed);
            using var s3 = S3Through(proxy);
            proxy.Plan = new FaultPlan { Error500 = 0.3 };
            // Concurrent, so arrival order varies; the pattern must not.
            var failed = await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
            {
                try
                {
                    await s3.GetObjectMetadataAsync(bucket, $"k{i}");
                    return '.';
                }
                catch (AmazonS3Exception)
                {
                    return 'X';
                }
            }));
            return new string(failed);
        }
        var a = await PatternAsync(11);
        var b = await PatternAsync(11);
        var c = await PatternAsync(12);
        output.WriteLine($"seed 11: {a}\nseed 11: {b}\nseed 12: {c}");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Contains('X', a);
        Assert.Contains('.', a);
    }

    private static FaultPlan Only(FaultKind kind) => kind switch
    {
        FaultKind.Error500 => new FaultPlan { Error500 = 1 },
        FaultKind.SlowDown503 => new FaultPlan { SlowDown503 = 1 },
        FaultKind.TooMany429 => new FaultPlan { TooMany429 = 1 },
        FaultKind.ResetBeforeResponse => new FaultPlan { ResetBeforeResponse = 1 },
        FaultKind.ResetMidBody => new FaultPlan { ResetMidBody = 1 },
        FaultKind.Delay => new FaultPlan { Delay = 1 },
        FaultKind.TruncateGetBody => new FaultPlan { TruncateGetBody = 1 },
        FaultKind.FlipGetBody => new FaultPlan { FlipGetBody = 1 },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>An S3 client like the executables' (checksums only when required), without SDK retries.</summary>
    private AmazonS3Client S3Through(FaultProxy proxy) => new(emulator.Credentials, new AmazonS3Config
    {
        ServiceURL = proxy.Endpoint.ToString(),
        ForcePathStyle = true,
        AuthenticationRegion = emulator.Region,
        MaxErrorRetry = 0,
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    private AmazonSQSClient SqsThrough(FaultProxy proxy) => new(emulator.Credentials, new AmazonSQSConfig
    {
        ServiceURL = proxy.Endpoint.ToString(),
        AuthenticationRegion = emulator.Region,
        MaxErrorRetry = 0,
    });

    private async Task PutAsync(string bucket, string key, TestData data)
    {
        await using var body = data.OpenRead();
        await emulator.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = body, AutoCloseStream = false });
    }

    private async Task SendAsync(string queueUrl, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await emulator.Sqs.SendMessageAsync(queueUrl, $"m{i}");
        }
    }

    /// <summary>Receives (and deletes) until <paramref name="quiet"/> passes without a message.</summary>
    private static async Task<List<Message>> ReceiveAllAsync(IAmazonSQS sqs, string queueUrl, TimeSpan quiet)
    {
        var all = new List<Message>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < quiet)
        {
            var response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queueUrl, WaitTimeSeconds = 1, MaxNumberOfMessages = 10 });
            foreach (var m in response.Messages ?? [])
            {
                all.Add(m);
                try
                {
                    await sqs.DeleteMessageAsync(queueUrl, m.ReceiptHandle);
                }
                catch (AmazonSQSException)
                {
                    // A duplicate's receipt handle may already be spent.
                }
            }
        }
        return all;
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var memory = new MemoryStream();
        await stream.CopyToAsync(memory);
        return memory.ToArray();
    }

    private static bool IsConnectionFailure(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is IOException or System.Net.Sockets.SocketException or HttpRequestException)
            {
                return true;
            }
        }
        return false;
    }
}
