using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace S3Fanout.TestSupport;

/// <summary>
/// A stand-in OpenTelemetry collector for OTLP over HTTP: answers 200 to every POST on a loopback port and keeps each
/// request's path and body, for a test to look for an export.
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _receiving;

    public OtlpCollector()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        Endpoint = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Endpoint);
        _listener.Start();
        _receiving = Task.Run(ReceiveAsync);
    }

    /// <summary>The base URL to configure as the OTLP endpoint.</summary>
    public string Endpoint { get; }

    public ConcurrentQueue<(string Path, byte[] Body)> Posts { get; } = new();

    private async Task ReceiveAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body).ConfigureAwait(false);
            Posts.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _receiving.ConfigureAwait(false);
        _listener.Close();
    }
}
