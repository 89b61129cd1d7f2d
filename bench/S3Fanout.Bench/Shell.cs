using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace S3Fanout.Bench;

/// <summary>Result of one child command run under /usr/bin/time.</summary>
internal sealed record TimedRun(int ExitCode, double WallS, double CpuS, long PeakRssKb, long EndedAt, string StderrTail);

/// <summary>
/// Runs commands through bash so that stdin/stdout are plain files, /dev/null or pipes between children: the driver
/// never copies stream bytes itself, so it takes no CPU from what is being measured.
/// </summary>
internal static class Shell
{
    public static string Q(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// The shell words that run an S3Fanout executable: <c>dotnet exec X.dll</c> for a framework-dependent build, or the
    /// file itself for a native (ahead-of-time compiled) one.
    /// </summary>
    public static string Executable(string dotnet, string path) =>
        path.EndsWith(".dll", StringComparison.Ordinal) ? $"{Q(dotnet)} exec {Q(path)}" : Q(path);

    /// <summary>A <see cref="ProcessStartInfo"/> for <see cref="Executable"/> with <paramref name="args"/>.</summary>
    public static ProcessStartInfo ExecutableStartInfo(string dotnet, string path, IEnumerable<string> args)
    {
        var argv = ExecutableArgv(dotnet, path, args);
        var psi = new ProcessStartInfo(argv[0]) { UseShellExecute = false };
        foreach (var a in argv.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }
        return psi;
    }

    /// <summary>The argument vector of <see cref="Executable"/> with <paramref name="args"/>, program first.</summary>
    public static string[] ExecutableArgv(string dotnet, string path, IEnumerable<string> args) =>
        path.EndsWith(".dll", StringComparison.Ordinal) ? [dotnet, "exec", path, .. args] : [path, .. args];

    /// <summary>
    /// Starts <c>bash -c SCRIPT</c>. <paramref name="script"/> should run the measured program under
    /// <see cref="TimePrefix"/> so its CPU time and peak RSS land in <paramref name="timeFile"/>.
    /// </summary>
    public static Process Start(string script)
    {
        var psi = new ProcessStartInfo("/bin/bash") { UseShellExecute = false, RedirectStandardInput = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        return Process.Start(psi) ?? throw new InvalidOperationException("cannot start bash");
    }

    /// <summary>Starts <paramref name="psi"/> (its stderr redirected) and appends each stderr line to <paramref name="stderr"/>.</summary>
    public static Process StartKeepingStderr(ProcessStartInfo psi, StringBuilder stderr)
    {
        var p = Process.Start(psi) ?? throw new StageException($"cannot start {psi.FileName} {string.Join(' ', psi.ArgumentList)}");
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary><c>/usr/bin/time</c> writing "wall user sys maxrss_kb" as the last line of <paramref name="timeFile"/>.</summary>
    public static string TimePrefix(string timeFile) => $"/usr/bin/time -f '%e %U %S %M' -o {Q(timeFile)} ";

    public static async Task<TimedRun> RunAsync(string script, string timeFile, string errFile, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        using var process = Start(script);
        var ended = await WaitAsync(process, timeout).ConfigureAwait(false);
        return Collect(process.ExitCode, Stopwatch.GetElapsedTime(started, ended).TotalSeconds, ended, timeFile, errFile);
    }

    /// <summary>Waits for exit and returns the Stopwatch timestamp of it; kills the whole tree on timeout.</summary>
    public static async Task<long> WaitAsync(Process process, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw new TimeoutException($"a child did not finish within {timeout.TotalSeconds:F0} s and was killed");
        }
        return Stopwatch.GetTimestamp();
    }

    public static TimedRun Collect(int exitCode, double wallS, long endedAt, string timeFile, string errFile)
    {
        double cpu = 0;
        long rss = 0;
        if (File.Exists(timeFile))
        {
            // A non-zero exit adds a "Command exited with non-zero status N" line before the figures.
            var last = File.ReadAllLines(timeFile).LastOrDefault(l => l.Length > 0 && char.IsDigit(l[0]));
            if (last is not null)
            {
                var f = last.Split(' ');
                cpu = double.Parse(f[1], CultureInfo.InvariantCulture) + double.Parse(f[2], CultureInfo.InvariantCulture);
                rss = long.Parse(f[3], CultureInfo.InvariantCulture);
            }
        }
        return new TimedRun(exitCode, wallS, cpu, rss, endedAt, Tail(errFile));
    }

    public static string Tail(string file, int lines = 3)
    {
        if (!File.Exists(file))
        {
            return "";
        }
        return string.Join(" | ", File.ReadAllLines(file).Where(l => l.Trim().Length > 0).TakeLast(lines));
    }

    /// <summary>Runs a short command and returns its trimmed stdout (for version strings); "unknown" on failure.</summary>
    public static string Capture(string file, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }
            using var p = Process.Start(psi)!;
            var outText = p.StandardOutput.ReadToEnd();
            var errText = p.StandardError.ReadToEnd();
            p.WaitForExit(30_000);
            var text = (outText.Trim().Length > 0 ? outText : errText).Trim();
            return text.Length > 0 ? text.Split('\n')[0].Trim() : "unknown";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "unknown";
        }
    }
}
