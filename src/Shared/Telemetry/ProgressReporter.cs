using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace S3Fanout.Shared.Telemetry;

/// <summary>
/// Shows a transfer's progress on stderr, never stdout: a live line drawn by Spectre.Console when stderr is a terminal,
/// or, with --progress on a non-terminal, a plain line every few seconds.
/// </summary>
internal sealed class ProgressReporter(TransferProgress progress, string verb, bool showLag)
{
    private static readonly TimeSpan TerminalRefresh = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan PlainRefresh = TimeSpan.FromSeconds(5);
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Whether progress is shown: always with --progress, else when stderr is a terminal.</summary>
    public static bool IsWanted(bool requested) => requested || !Console.IsErrorRedirected;

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            if (!Console.IsErrorRedirected)
            {
                await RunLiveAsync(ct).ConfigureAwait(false);
            }
            else
            {
                await RunPlainAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task RunLiveAsync(CancellationToken ct)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        await console.Live(Render()).AutoClear(false).StartAsync(async context =>
        {
            try
            {
                while (true)
                {
                    await Task.Delay(TerminalRefresh, ct).ConfigureAwait(false);
                    context.UpdateTarget(Render());
                }
            }
            finally
            {
                context.UpdateTarget(Render());
            }
        }).ConfigureAwait(false);
    }

    private async Task RunPlainAsync(CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(PlainRefresh, ct).ConfigureAwait(false);
            await Console.Error.WriteLineAsync(Line()).ConfigureAwait(false);
        }
    }

    private IRenderable Render() => new Markup(Markup.Escape(Line()));

    public string Line()
    {
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        var mib = progress.Bytes / 1048576.0;
        var line = string.Format(CultureInfo.InvariantCulture, "{0} {1:F1} MiB, {2} segments, {3:F1} MiB/s, {4:hh\\:mm\\:ss}",
            verb, mib, progress.Segments, mib / seconds, _clock.Elapsed);
        return showLag ? line + $", {progress.Lag} behind the publisher" : line;
    }
}
