using System.Diagnostics;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Shared.Cli;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Sinks;

/// <summary>
/// Pipes the broadcast into a command run by /bin/sh (for example <c>tar x -C /srv/mirror</c>), with
/// S3FANOUT_URL and S3FANOUT_BROADCAST in its environment. A pipe cannot be resumed mid-stream, so after a restart
/// the broadcast is sent again from its first byte into a fresh run of the command. A non-zero exit fails the broadcast,
/// and so does a command still running <c>ExitTimeout</c> after the end of its stdin: it is killed with every process it
/// started, so a hung command never holds a mirror slot for ever.
/// </summary>
internal sealed class CommandSink : ISegmentSink
{
    /// <summary>How long the command's output may still be read after it exited (a background child may hold the pipes).</summary>
    private static readonly TimeSpan OutputDrain = TimeSpan.FromSeconds(5);
    private readonly Process _process;
    private readonly string _command;
    private readonly TimeSpan _exitTimeout;
    private readonly ILogger _logger;
    private readonly Task _stdoutCopy;
    private readonly Task _stderrCopy;

    private CommandSink(Process process, string command, TimeSpan exitTimeout, ILogger logger)
    {
        _process = process;
        _command = command;
        _exitTimeout = exitTimeout;
        _logger = logger;
        // The command's own output goes to the service log, one line at a time.
        _stdoutCopy = ForwardAsync(process.StandardOutput, "stdout");
        _stderrCopy = ForwardAsync(process.StandardError, "stderr");
    }

    public Stream? Stream => _process.StandardInput.BaseStream;
    public ResumePoint? Resume => null;
    public CheckpointAsync? Checkpoint => null;

    public static CommandSink Start(string command, string url, string broadcast, TimeSpan exitTimeout, ILogger logger)
    {
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        psi.Environment["S3FANOUT_URL"] = url;
        psi.Environment["S3FANOUT_BROADCAST"] = broadcast;
        try
        {
            var process = Process.Start(psi) ?? throw new InvalidOperationException("no process");
            logger.LogInformation("Started sink command (pid {Pid}) for {Url}: {Command}", process.Id, url, command);
            return new CommandSink(process, command, exitTimeout, logger);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new FatalException(ExitCodes.LocalIo, $"cannot start sink command '{command}': {e.Message}", e);
        }
    }

    public async Task CompleteAsync(CancellationToken ct)
    {
        try
        {
            await _process.StandardInput.BaseStream.FlushAsync(ct).ConfigureAwait(false);
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command closed its stdin early; its exit code tells whether that was a failure.
        }
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            limit.CancelAfter(_exitTimeout);
            try
            {
                await _process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await KillAsync().ConfigureAwait(false);
                throw new FatalException(ExitCodes.LocalIo,
                    $"sink command '{_command}' was still running {Durations.Format(_exitTimeout)} after the end of the stream (Sink:ExitTimeout); killed it and the processes it started");
            }
        }
        try
        {
            await Task.WhenAll(_stdoutCopy, _stderrCopy).WaitAsync(OutputDrain, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Sink command {Command} exited, but a process it started still holds its output open; not waiting for it", _command);
        }
        if (_process.ExitCode != 0)
        {
            throw new FatalException(ExitCodes.LocalIo, $"sink command '{_command}' exited with code {_process.ExitCode}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Abandoned (failure or shutdown): the command must not take a partial stream for a whole one.
        await KillAsync().ConfigureAwait(false);
        _process.Dispose();
    }

    /// <summary>Kills the command and every process it started (Process.Kill walks the whole tree of descendants).</summary>
    private async Task KillAsync()
    {
        if (_process.HasExited)
        {
            return;
        }
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    private async Task ForwardAsync(StreamReader reader, string stream)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            _logger.LogInformation("Sink command {Stream}: {Line}", stream, line);
        }
    }
}
