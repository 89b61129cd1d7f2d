using System.Diagnostics;

namespace S3Fanout.TestSupport.Emulators;

/// <summary>Runs an idempotent infra/*/install.sh (fauxqs, s3rver) with a deadline; its one-line report goes to the log.</summary>
internal static class InstallScript
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(5);

    public static async Task RunAsync(string script, string what, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        await using var install = ProcessRunner.Start("bash", [script], new ProcessOptions { WorkingDirectory = RepoPaths.Root });
        int code;
        try
        {
            code = await install.WaitForExitAsync(s_deadline).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new InvalidOperationException($"Installing {what} timed out: {ex.Message}", ex);
        }
        var output = (install.StdoutText + install.Stderr).Trim();
        if (code != 0)
        {
            throw new InvalidOperationException($"Installing {what} with '{script}' failed with exit code {code}. Its output:\n{output}");
        }
        log($"{output} [{clock.ElapsedMilliseconds} ms]");
    }

    /// <summary>A port that was free a moment ago. A tiny race remains: callers retry when the server reports EADDRINUSE.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
