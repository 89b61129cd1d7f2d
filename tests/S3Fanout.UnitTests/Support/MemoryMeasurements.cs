using Xunit;

namespace S3Fanout.UnitTests.Support;

/// <summary>
/// Tests that sample the process's heap (GC.GetTotalMemory): they run alone, after every parallel test, since any other
/// test's allocations would be counted as theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurements
{
    public const string Name = "heap measurements";
}
