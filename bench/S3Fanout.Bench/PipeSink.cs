using System.Diagnostics;

namespace S3Fanout.Bench;

/// <summary>
/// A pipe into `cat > /dev/null`: where the in-process raw GET writes what it reads, so it pays for a pipe as every
/// other reader in the table does. Writes are serialised; their order does not matter to /dev/null.
/// </summary>
internal sealed class PipeSink : IAsyncDisposable
{
    private readonly Process _cat;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private PipeSink(Process cat) => _cat = cat;

    public static PipeSink Start()
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec cat > /dev/null");
        return new PipeSink(Process.Start(psi) ?? throw new InvalidOperationException("cannot start cat"));
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await _cat.StandardInput.BaseStream.WriteAsync(bytes).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the pipe and waits for `cat` to drain it.</summary>
    public async Task CompleteAsync()
    {
        _cat.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _cat.WaitForExitAsync(cts.Token).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_cat.HasExited)
        {
            _cat.Kill();
            await _cat.WaitForExitAsync().ConfigureAwait(false);
        }
        _cat.Dispose();
        _gate.Dispose();
    }
}
