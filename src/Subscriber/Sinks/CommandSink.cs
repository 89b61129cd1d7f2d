using System.Diagnostics;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Sinks;

/// <summary>
/// Pipes the broadcast into a command run by /bin/sh (for example <c>tar x -C /srv/mirror</c>), with
/// S3FANOUT_URL and S3FANOUT_BROADCAST in its environment. A pipe cannot be resumed mid-stream, so after a restart
/// the broadcast is sent again from its first byte into a fresh run of the command. A non-zero exit fails the broadcast.
/// </summary>
internal sealed class CommandSink : ISegmentSink
{
    private readonly Process _process;
    private readonly string _command;
    private readonly ILogger _logger;
    private readonly Task _stdoutCopy;
    private readonly Task _stderrCopy;

    private CommandSink(Process process, string command, ILogger logger)
    {
        _process = process;
        _command = command;
        _logger = logger;
        // The command's own output goes to the service log, one line at a time.
        _stdoutCopy = ForwardAsync(process.StandardOutput, "stdout");
        _stderrCopy = ForwardAsync(process.StandardError, "stderr");
    }

    public Stream? Stream => _process.StandardInput.BaseStream;
    public ResumePoint? Resume => null;
    public CheckpointAsync? Checkpoint => null;

    public static CommandSink Start(string command, string url, string broadcast, ILogger logger)
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
            return new CommandSink(process, command, logger);
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
        await _process.WaitForExitAsync(ct).ConfigureAwait(false);
        await Task.WhenAll(_stdoutCopy, _stderrCopy).ConfigureAwait(false);
        if (_process.ExitCode != 0)
        {
            throw new FatalException(ExitCodes.LocalIo, $"sink command '{_command}' exited with code {_process.ExitCode}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Abandoned (failure or shutdown): the command must not take a partial stream for a whole one.
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        _process.Dispose();
    }

    private async Task ForwardAsync(StreamReader reader, string stream)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            _logger.LogInformation("Sink command {Stream}: {Line}", stream, line);
        }
    }
}
