using System.Diagnostics;

namespace S3Fanout.TestSupport;

/// <summary>Signals <see cref="RunningProcess.Kill(ProcessSignal)"/> can send (Linux numbering).</summary>
public enum ProcessSignal
{
    Hup = 1,
    Interrupt = 2,
    Quit = 3,
    Kill = 9,
    Term = 15,
}

/// <summary>How to start a child process. Everything is optional.</summary>
public sealed class ProcessOptions
{
    /// <summary>
    /// Variables to set on top of the inherited environment. An empty value removes the variable
    /// (so <see cref="EmulatorFixture.ChildEnvironment"/> can unset AWS_PROFILE etc.).
    /// </summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>Bytes to feed to stdin (copied, then stdin is closed). Not disposed by the runner.</summary>
    public Stream? Stdin { get; init; }

    /// <summary>File to feed to stdin (then stdin is closed).</summary>
    public string? StdinFile { get; init; }

    /// <summary>
    /// Keep stdin open and let the test write it through <see cref="RunningProcess.StandardInput"/>
    /// (close that stream to send EOF). When no stdin option is given, stdin is closed at once (empty input).
    /// </summary>
    public bool StdinPipe { get; init; }

    /// <summary>Where stdout bytes go (binary-safe, not disposed by the runner).</summary>
    public Stream? Stdout { get; init; }

    /// <summary>File that receives stdout (created/overwritten). Without Stdout/StdoutFile, stdout is kept in memory.</summary>
    public string? StdoutFile { get; init; }

    /// <summary>Called for each stderr line as it arrives (on a pool thread).</summary>
    public Action<string>? OnStderrLine { get; init; }
}

/// <summary>Starts processes (in particular the built s3fanout executables) for tests.</summary>
public static class ProcessRunner
{
    private static readonly Lazy<string> s_dotnet = new(FindDotnetHost);

    /// <summary>The dotnet host running the tests (DOTNET_HOST_PATH, else this process if it is dotnet, else "dotnet").</summary>
    public static string DotnetHost => s_dotnet.Value;

    /// <summary>Starts <c>dotnet s3fanout-publish.dll</c> with <paramref name="args"/>.</summary>
    public static RunningProcess StartPublisher(IEnumerable<string> args, ProcessOptions? options = null) =>
        StartDotnetDll(RepoPaths.PublisherDll, args, options);

    /// <summary>Starts <c>dotnet s3fanout-subscribe.dll</c> with <paramref name="args"/>.</summary>
    public static RunningProcess StartSubscriber(IEnumerable<string> args, ProcessOptions? options = null) =>
        StartDotnetDll(RepoPaths.SubscriberDll, args, options);

    /// <summary>Starts <c>dotnet exec &lt;dll&gt; args…</c>.</summary>
    public static RunningProcess StartDotnetDll(string dll, IEnumerable<string> args, ProcessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        return Start(DotnetHost, ["exec", dll, .. args], options);
    }

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="args"/> (no shell involved).</summary>
    public static RunningProcess Start(string fileName, IEnumerable<string> args, ProcessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(args);
        return RunningProcess.Start(fileName, [.. args], options ?? new ProcessOptions());
    }

    /// <summary>Applies an environment overlay to <paramref name="psi"/>: empty values remove the variable.</summary>
    public static void ApplyEnvironment(ProcessStartInfo psi, IReadOnlyDictionary<string, string>? environment)
    {
        ArgumentNullException.ThrowIfNull(psi);
        if (environment is null)
        {
            return;
        }
        foreach (var (key, value) in environment)
        {
            if (value.Length == 0)
            {
                psi.Environment.Remove(key);
            }
            else
            {
                psi.Environment[key] = value;
            }
        }
    }

    /// <summary>Sends <paramref name="signal"/> to process <paramref name="pid"/> via <c>/bin/sh -c 'kill -N pid'</c>.</summary>
    public static void SendSignal(int pid, ProcessSignal signal)
    {
        var number = ((int)signal).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var psi = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", $"kill -{number} {pid}" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var kill = Process.Start(psi) ?? throw new InvalidOperationException("could not start /bin/sh to send a signal");
        var error = kill.StandardError.ReadToEnd();
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{number} {pid} ({signal}) failed (exit {kill.ExitCode}): {error.Trim()}");
        }
    }

    private static string FindDotnetHost()
    {
        var fromEnv = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(fromEnv))
        {
            return fromEnv;
        }
        var self = Environment.ProcessPath;
        if (self is not null && string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.Ordinal))
        {
            return self;
        }
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet")))
        {
            return Path.Combine(root, "dotnet");
        }
        return "dotnet";
    }
}
