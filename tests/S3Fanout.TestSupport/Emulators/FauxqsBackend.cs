using System.Diagnostics;
using System.Net;

namespace S3Fanout.TestSupport.Emulators;

/// <summary>
/// fauxqs (a Node.js S3/SQS/SNS emulator) run as a child process through infra/fauxqs/start.sh,
/// after infra/fauxqs/install.sh has put the pinned version into .tools/fauxqs.
/// </summary>
internal sealed class FauxqsBackend : IEmulatorBackend
{
    private static readonly TimeSpan s_healthDeadline = TimeSpan.FromSeconds(30);
    private const int PortAttempts = 3;

    private readonly Process _process;
    private readonly OutputTail _output;

    private FauxqsBackend(Process process, OutputTail output, Uri endpoint)
    {
        _process = process;
        _output = output;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public string Description => $"fauxqs at {Endpoint} (pid {_process.Id}, started by infra/fauxqs/start.sh)";

    public static async Task<FauxqsBackend> StartAsync(Action<string> log)
    {
        var root = RepoPaths.Root;
        await InstallScript.RunAsync(RepoPaths.FauxqsInstallScript, "fauxqs", log).ConfigureAwait(false);

        var failures = new List<string>();
        for (var attempt = 1; attempt <= PortAttempts; attempt++)
        {
            var port = InstallScript.FreeLoopbackPort();
            var (backend, failure, portClash) = await TryStartOnPortAsync(root, port, log).ConfigureAwait(false);
            if (backend is not null)
            {
                return backend;
            }
            failures.Add(failure!);
            if (!portClash)
            {
                break;
            }
        }
        throw new InvalidOperationException(string.Join("\n", failures));
    }

    private static async Task<(FauxqsBackend? Backend, string? Failure, bool PortClash)> TryStartOnPortAsync(
        string root, int port, Action<string> log)
    {
        var script = RepoPaths.FauxqsStartScript;
        var psi = new ProcessStartInfo("bash")
        {
            ArgumentList = { script, port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            WorkingDirectory = root,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["FAUXQS_LOGGER"] = "false";
        // The emulator exits by itself if this test process dies without disposing the fixture.
        psi.Environment["FAUXQS_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var output = new OutputTail();
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        var clock = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (Exception ex)
        {
            process.Dispose();
            return (null, $"Could not start 'bash {script} {port}': {ex.Message}", false);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var endpoint = new Uri($"http://127.0.0.1:{port}");
        var backend = new FauxqsBackend(process, output, endpoint);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        Exception? lastError = null;
        while (clock.Elapsed < s_healthDeadline)
        {
            if (process.HasExited)
            {
                try
                {
                    // Returns once the redirected output has been read to its end, so the failure shows its last lines.
                    await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // A child still holds the pipe open; report what arrived.
                }
                var clash = output.Any(l => l.Contains("EADDRINUSE", StringComparison.Ordinal));
                var failure =
                    $"fauxqs ('bash {script} {port}') exited with code {process.ExitCode} after {clock.ElapsedMilliseconds} ms " +
                    $"before answering GET {endpoint}health. Its last output:\n{output}";
                await backend.DisposeAsync().ConfigureAwait(false);
                return (null, failure, clash);
            }
            try
            {
                using var response = await http.GetAsync(new Uri(endpoint, "/health")).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    log($"fauxqs answered GET /health on {endpoint} {clock.ElapsedMilliseconds} ms after start (pid {process.Id})");
                    return (backend, null, false);
                }
                lastError = new HttpRequestException($"GET /health answered {(int)response.StatusCode} {response.StatusCode}");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                lastError = ex;
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
        var timeout =
            $"fauxqs ('bash {script} {port}', pid {process.Id}) did not answer GET {endpoint}health within " +
            $"{s_healthDeadline.TotalSeconds} s (last error: {lastError?.Message ?? "none"}); killed it. Its last output:\n{output}";
        await backend.DisposeAsync().ConfigureAwait(false);
        return (null, timeout, false);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or not killable: nothing more to do.
        }
        finally
        {
            _process.Dispose();
        }
    }

    public override string ToString() => Description + "\nlast output:\n" + _output;
}
