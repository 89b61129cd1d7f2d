using System.Diagnostics;
using S3Fanout.TestSupport;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace S3Fanout.IntegrationTests.Packaging;

/// <summary>
/// Both Native AOT executables, built once for the <c>native</c> collection by <c>scripts/native</c> (the README's way)
/// in a copy of the sources, so the JIT build the other tests run is never touched. About 2 minutes of CPU.
/// </summary>
public sealed class NativeBuild(IMessageSink diagnostics) : IAsyncLifetime
{
    private static readonly TimeSpan s_buildDeadline = TimeSpan.FromMinutes(10);
    private string? _copy;

    public string Publisher => Path.Combine(Output, RepoPaths.PublisherAssemblyName);

    public string Subscriber => Path.Combine(Output, RepoPaths.SubscriberAssemblyName);

    public string Output => Path.Combine(_copy ?? throw new InvalidOperationException("not built yet"), "native");

    /// <summary>What scripts/native printed: the two executables' paths.</summary>
    public string ScriptOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _copy = SourceCopy.Create("scripts", Path.Combine("infra", "native"));
        var clock = Stopwatch.StartNew();
        await using var run = ProcessRunner.Start("/bin/bash", [Path.Combine(_copy, "scripts", "native"), Output],
            new ProcessOptions { Environment = SourceCopy.BuildEnvironment(), WorkingDirectory = _copy });
        var code = await run.WaitForExitAsync(s_buildDeadline);
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/native exited {code}:\n{run.StderrTail()}");
        }
        ScriptOutput = run.StdoutText;
        diagnostics.OnMessage(new DiagnosticMessage($"scripts/native built both executables in {clock.Elapsed.TotalSeconds:0} s"));
    }

    public Task DisposeAsync()
    {
        if (_copy is not null)
        {
            Directory.Delete(_copy, recursive: true);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// The native executables against an emulator of their own. The build is CPU-heavy on a 2-core machine: the collection
/// runs on its own, after the parallel ones, never beside the timing-sensitive emulator scenarios.
/// </summary>
[CollectionDefinition("native", DisableParallelization = true)]
public sealed class NativeCollection : ICollectionFixture<NativeBuild>, ICollectionFixture<EmulatorFixture>;
