using System.Text.Json.Nodes;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Packaging;

/// <summary>
/// The GC settings of src/Runtime.props reach the built executables' runtimeconfig.json, where the runtime reads them for
/// every framework-dependent way they are run (dll, apphost, `dotnet tool`); in a Native AOT build the same
/// RuntimeHostConfigurationOption items become ILC runtime knobs. Which names the runtime honours was measured
/// (README, "GC and runtime settings"): System.GC.Gen0MaxBudget is, System.GC.Gen0Size is not.
/// </summary>
public sealed class RuntimeSettingsTests
{
    public static TheoryData<string> Executables => new() { RepoPaths.PublisherDll, RepoPaths.SubscriberDll };

    [Theory]
    [MemberData(nameof(Executables))]
    public void Each_executable_caps_its_gen0_budget_at_4_MiB_with_workstation_GC_and_no_dynamic_PGO_in_its_runtimeconfig(string dll)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(dll, ".runtimeconfig.json")))!["runtimeOptions"]!["configProperties"]!;

        Assert.Equal(4L * 1024 * 1024, long.Parse(config["System.GC.Gen0MaxBudget"]?.ToString() ?? "0", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("false", config["System.GC.Server"]?.ToString().ToLowerInvariant());
        Assert.Equal("false", config["System.Runtime.TieredPGO"]?.ToString().ToLowerInvariant());
        // The name the runtime ignores must not stand in for the one it honours.
        Assert.Null(config["System.GC.Gen0Size"]);
    }
}
