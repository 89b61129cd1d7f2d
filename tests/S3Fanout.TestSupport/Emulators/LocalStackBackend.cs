using System.Diagnostics;
using Testcontainers.LocalStack;

namespace S3Fanout.TestSupport.Emulators;

/// <summary>LocalStack (s3, sqs, sns) in a container started through Testcontainers; used when a Docker engine answers.</summary>
internal sealed class LocalStackBackend : IEmulatorBackend
{
    /// <summary>
    /// Last LocalStack release usable without an account (4.15 and later require LOCALSTACK_AUTH_TOKEN).
    /// Override with S3FANOUT_LOCALSTACK_IMAGE; LOCALSTACK_AUTH_TOKEN is passed through when set.
    /// </summary>
    public const string DefaultImage = "localstack/localstack:4.14.0";

    private readonly LocalStackContainer _container;

    private LocalStackBackend(LocalStackContainer container, Uri endpoint, string image)
    {
        _container = container;
        Endpoint = endpoint;
        Description = $"LocalStack {image} at {endpoint} (container {container.Id[..Math.Min(12, container.Id.Length)]})";
    }

    public Uri Endpoint { get; }

    public string Description { get; }

    public static async Task<LocalStackBackend> StartAsync(Action<string> log)
    {
        var image = Environment.GetEnvironmentVariable("S3FANOUT_LOCALSTACK_IMAGE") is { Length: > 0 } custom ? custom : DefaultImage;
        var builder = new LocalStackBuilder(image).WithEnvironment("SERVICES", "s3,sqs,sns");
        var token = Environment.GetEnvironmentVariable("LOCALSTACK_AUTH_TOKEN");
        if (!string.IsNullOrEmpty(token))
        {
            builder = builder.WithEnvironment("LOCALSTACK_AUTH_TOKEN", token);
        }
        var container = builder.Build();
        var clock = Stopwatch.StartNew();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await container.StartAsync(cts.Token).ConfigureAwait(false);
        }
        catch
        {
            await container.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var endpoint = new Uri(container.GetConnectionString());
        log($"LocalStack {image} answered at {endpoint} {clock.ElapsedMilliseconds} ms after start");
        return new LocalStackBackend(container, endpoint, image);
    }

    public ValueTask DisposeAsync() => _container.DisposeAsync();
}
