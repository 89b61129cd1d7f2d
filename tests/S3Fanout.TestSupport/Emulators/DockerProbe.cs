using System.Net;
using System.Net.Sockets;
using System.Text;

namespace S3Fanout.TestSupport.Emulators;

/// <summary>Checks quickly (short timeout) whether a Docker engine answers <c>GET /_ping</c>.</summary>
internal static class DockerProbe
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(2);

    /// <summary>Returns (true, where) when an engine answered, else (false, what was tried and why it failed).</summary>
    public static async Task<(bool Reachable, string Detail)> ProbeAsync()
    {
        var attempts = new List<string>();
        foreach (var endpoint in Candidates())
        {
            try
            {
                using var cts = new CancellationTokenSource(s_timeout);
                var answer = await PingAsync(endpoint, cts.Token).ConfigureAwait(false);
                if (answer.StartsWith("HTTP/1.", StringComparison.Ordinal) && answer.Contains(" 200 ", StringComparison.Ordinal))
                {
                    return (true, endpoint.ToString());
                }
                attempts.Add($"{endpoint}: answered '{FirstLine(answer)}'");
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or UriFormatException)
            {
                attempts.Add($"{endpoint}: {(ex is OperationCanceledException ? $"no answer within {s_timeout.TotalSeconds} s" : ex.Message)}");
            }
        }
        return (false, attempts.Count == 0 ? "no Docker socket found" : string.Join("; ", attempts));
    }

    private static IEnumerable<Uri> Candidates()
    {
        var dockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrWhiteSpace(dockerHost))
        {
            if (Uri.TryCreate(dockerHost, UriKind.Absolute, out var uri))
            {
                yield return uri;
            }
            yield break;
        }
        var sockets = new List<string> { "/var/run/docker.sock" };
        var runtimeDir = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        if (!string.IsNullOrEmpty(runtimeDir))
        {
            sockets.Add(Path.Combine(runtimeDir, "docker.sock"));
        }
        sockets.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker", "run", "docker.sock"));
        foreach (var socket in sockets.Where(File.Exists))
        {
            yield return new Uri("unix://" + socket);
        }
    }

    private static async Task<string> PingAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        Socket socket;
        EndPoint target;
        if (endpoint.Scheme == "unix")
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            target = new UnixDomainSocketEndPoint(endpoint.AbsolutePath);
        }
        else if (endpoint.Scheme is "tcp" or "http")
        {
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            target = new DnsEndPoint(endpoint.Host, endpoint.Port > 0 ? endpoint.Port : 2375);
        }
        else
        {
            throw new IOException($"unsupported DOCKER_HOST scheme '{endpoint.Scheme}'");
        }
        using (socket)
        {
            await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            var request = Encoding.ASCII.GetBytes("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n");
            await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            var buffer = new byte[512];
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, n);
        }
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOf('\r', StringComparison.Ordinal);
        return end < 0 ? text : text[..end];
    }
}
