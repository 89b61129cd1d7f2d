using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace S3Fanout.TestSupport;

/// <summary>
/// A started child process with its stdin fed, stdout copied byte-for-byte (length and SHA-256 computed on the
/// way) and stderr kept as text. Dispose kills the whole process tree if it is still running.
/// </summary>
public sealed class RunningProcess : IAsyncDisposable, IDisposable
{
    private const int MaxStderrChars = 4 << 20;
    private static readonly TimeSpan s_drainAfterKill = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Lock _stderrGate = new();
    private readonly IncrementalHash _stdoutHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly MemoryStream? _stdoutMemory;
    private readonly Stream _stdoutTarget;
    private readonly bool _ownsStdoutTarget;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Task _stdoutPump = Task.CompletedTask;
    private Task _stderrPump = Task.CompletedTask;
    private Task _stdinPump = Task.CompletedTask;
    private long _stdoutLength;
    private string? _stdoutSha256;
    private bool _stderrTruncated;
    private int _disposed;

    private RunningProcess(Process process, string commandLine, ProcessOptions options)
    {
        _process = process;
        CommandLine = commandLine;
        if (options.Stdout is not null)
        {
            _stdoutTarget = options.Stdout;
        }
        else if (options.StdoutFile is not null)
        {
            _stdoutTarget = new FileStream(options.StdoutFile, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, useAsync: true);
            _ownsStdoutTarget = true;
        }
        else
        {
            _stdoutMemory = new MemoryStream();
            _stdoutTarget = _stdoutMemory;
        }
    }

    /// <summary>The command line, for messages.</summary>
    public string CommandLine { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code; throws while the process is running.</summary>
    public int ExitCode => _process.HasExited
        ? _process.ExitCode
        : throw new InvalidOperationException($"{CommandLine} is still running.");

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The child's stdin when started with <see cref="ProcessOptions.StdinPipe"/>; dispose it to send EOF.</summary>
    public Stream StandardInput { get; private set; } = Stream.Null;

    /// <summary>Number of stdout bytes received so far.</summary>
    public long StdoutLength => Interlocked.Read(ref _stdoutLength);

    /// <summary>Lowercase hex SHA-256 of everything written to stdout; available once stdout reached EOF (after WaitForExitAsync).</summary>
    public string StdoutSha256 => _stdoutSha256
        ?? throw new InvalidOperationException($"stdout of {CommandLine} has not ended yet; await WaitForExitAsync first.");

    /// <summary>The stdout bytes when neither Stdout nor StdoutFile was given (after WaitForExitAsync).</summary>
    public byte[] StdoutBytes => _stdoutMemory?.ToArray()
        ?? throw new InvalidOperationException("stdout was redirected to a stream or file, not kept in memory.");

    /// <summary>The stdout bytes decoded as UTF-8 (see <see cref="StdoutBytes"/>).</summary>
    public string StdoutText => Encoding.UTF8.GetString(StdoutBytes);

    /// <summary>Everything written to stderr so far (only the last 4 Mi chars if it was longer).</summary>
    public string Stderr
    {
        get
        {
            lock (_stderrGate)
            {
                return (_stderrTruncated ? "…(truncated)…\n" : string.Empty) + _stderr;
            }
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of stderr, for assertion messages.</summary>
    public string StderrTail(int lines = 40)
    {
        var all = Stderr.TrimEnd('\n').Split('\n');
        var tail = string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        return tail.Length == 0 ? "(stderr empty)" : tail;
    }

    internal static RunningProcess Start(string fileName, IReadOnlyList<string> args, ProcessOptions options)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            WorkingDirectory = options.WorkingDirectory ?? string.Empty,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        ProcessRunner.ApplyEnvironment(psi, options.Environment);

        var commandLine = fileName + " " + string.Join(' ', args.Select(Quote));
        var process = new Process { StartInfo = psi };
        var running = new RunningProcess(process, commandLine, options);
        try
        {
            if (!process.Start())
            {
                throw new InvalidOperationException($"Could not start {commandLine}");
            }
        }
        catch (Exception ex)
        {
            running.DisposeResources();
            throw new InvalidOperationException($"Could not start {commandLine}: {ex.Message}", ex);
        }

        running._stdoutPump = Task.Run(running.PumpStdoutAsync);
        running._stderrPump = Task.Run(() => running.PumpStderrAsync(options.OnStderrLine));
        var stdin = process.StandardInput.BaseStream;
        if (options.Stdin is not null)
        {
            running._stdinPump = Task.Run(() => PumpStdinAsync(options.Stdin, stdin, process.StandardInput, ownsSource: false));
        }
        else if (options.StdinFile is not null)
        {
            var file = new FileStream(options.StdinFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            running._stdinPump = Task.Run(() => PumpStdinAsync(file, stdin, process.StandardInput, ownsSource: true));
        }
        else if (options.StdinPipe)
        {
            running.StandardInput = new StdinStream(process.StandardInput);
        }
        else
        {
            process.StandardInput.Close();
        }
        return running;
    }

    /// <summary>
    /// Waits for the process to exit and for its output to be fully read, and returns the exit code.
    /// If <paramref name="deadline"/> passes first, kills the whole process tree and throws <see cref="TimeoutException"/>
    /// with the command line and the stderr tail.
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(deadline);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var stillRunning = !_process.HasExited;
            KillTree();
            await DrainAfterKillAsync().ConfigureAwait(false);
            throw new TimeoutException(
                $"{CommandLine} {(stillRunning ? "did not exit" : "exited but its output did not end")} within " +
                $"{deadline.TotalSeconds:0.###} s; killed its process tree. stderr tail:\n{StderrTail()}");
        }

        // A child that exits without reading all of stdin ends the stdin pump with a broken pipe; that's fine.
        await _stdinPump.WaitAsync(s_drainAfterKill, CancellationToken.None).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Like <see cref="WaitForExitAsync"/>, and throws with the stderr tail unless the exit code is <paramref name="expectedExitCode"/>.</summary>
    public async Task EnsureExitCodeAsync(TimeSpan deadline, int expectedExitCode = 0, CancellationToken cancellationToken = default)
    {
        var code = await WaitForExitAsync(deadline, cancellationToken).ConfigureAwait(false);
        if (code != expectedExitCode)
        {
            throw new InvalidOperationException(
                $"{CommandLine} exited with {code}, expected {expectedExitCode}. stderr tail:\n{StderrTail()}");
        }
    }

    /// <summary>Sends a signal to the process itself (not its children), e.g. SIGTERM or SIGKILL.</summary>
    public void Kill(ProcessSignal signal)
    {
        if (_process.HasExited)
        {
            return;
        }
        if (signal == ProcessSignal.Kill)
        {
            try
            {
                _process.Kill(entireProcessTree: false);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }
            return;
        }
        ProcessRunner.SendSignal(_process.Id, signal);
    }

    /// <summary>SIGKILLs the process and all its descendants (no-op if it has exited).</summary>
    public void KillTree()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        KillTree();
        await DrainAfterKillAsync().ConfigureAwait(false);
        DisposeResources();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public override string ToString() => $"{CommandLine} (pid {_process.Id})";

    private async Task DrainAfterKillAsync()
    {
        try
        {
            // The exit too, not only the pipes: they can reach EOF before the runtime has reaped the killed child, and a
            // caller told "killed" may rightly look at HasExited at once.
            await Task.WhenAll(_process.WaitForExitAsync(), _stdoutPump, _stderrPump, _stdinPump).WaitAsync(s_drainAfterKill).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Best effort: the process is gone; errors of the pumps are not interesting any more.
        }
    }

    private void DisposeResources()
    {
        if (_ownsStdoutTarget)
        {
            _stdoutTarget.Dispose();
        }
        _stdoutHash.Dispose();
        _process.Dispose();
    }

    private async Task PumpStdoutAsync()
    {
        var source = _process.StandardOutput.BaseStream;
        var buffer = new byte[1 << 16];
        while (true)
        {
            var n = await source.ReadAsync(buffer).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            _stdoutHash.AppendData(buffer, 0, n);
            await _stdoutTarget.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
            Interlocked.Add(ref _stdoutLength, n);
        }
        await _stdoutTarget.FlushAsync().ConfigureAwait(false);
        _stdoutSha256 = Convert.ToHexStringLower(_stdoutHash.GetHashAndReset());
    }

    private async Task PumpStderrAsync(Action<string>? onLine)
    {
        var reader = _process.StandardError;
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (_stderrGate)
            {
                _stderr.Append(line).Append('\n');
                if (_stderr.Length > MaxStderrChars)
                {
                    _stderr.Remove(0, _stderr.Length - (MaxStderrChars / 2));
                    _stderrTruncated = true;
                }
            }
            onLine?.Invoke(line);
        }
    }

    private static async Task PumpStdinAsync(Stream source, Stream stdin, StreamWriter writer, bool ownsSource)
    {
        try
        {
            await source.CopyToAsync(stdin, 1 << 16).ConfigureAwait(false);
            await stdin.FlushAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The child closed its stdin (exited or stopped reading): not an error of the runner.
        }
        finally
        {
            try
            {
                writer.Dispose();
            }
            catch (IOException)
            {
                // Broken pipe on close.
            }
            if (ownsSource)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+%".Contains(c, StringComparison.Ordinal))
            ? arg
            : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Write-only view of the child's stdin; disposing it closes the pipe (EOF for the child).</summary>
    private sealed class StdinStream(StreamWriter writer) : Stream
    {
        private readonly Stream _inner = writer.BaseStream;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => _inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => _inner.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            _inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                writer.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
