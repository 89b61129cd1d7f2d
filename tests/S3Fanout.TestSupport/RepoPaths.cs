namespace S3Fanout.TestSupport;

/// <summary>
/// Locates the repository (the folder holding S3Fanout.sln) and the built executables, starting from
/// <see cref="AppContext.BaseDirectory"/> of the running test assembly.
/// </summary>
public static class RepoPaths
{
    public const string SolutionFileName = "S3Fanout.sln";
    public const string PublisherAssemblyName = "s3fanout-publish";
    public const string SubscriberAssemblyName = "s3fanout-subscribe";

    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The repository root (the folder containing S3Fanout.sln).</summary>
    public static string Root => s_root.Value;

    public static string FauxqsInstallScript => Path.Combine(Root, "infra", "fauxqs", "install.sh");

    public static string FauxqsStartScript => Path.Combine(Root, "infra", "fauxqs", "start.sh");

    public static string S3rverInstallScript => Path.Combine(Root, "infra", "s3rver", "install.sh");

    public static string S3rverStartScript => Path.Combine(Root, "infra", "s3rver", "start.sh");

    /// <summary>
    /// The build configuration of the running test assembly ("Debug"/"Release"), read from its output
    /// layout <c>…/bin/&lt;Configuration&gt;/&lt;TargetFramework&gt;/</c>; null when the layout is different.
    /// </summary>
    public static string? BuildConfiguration => OutputLayout()?.Configuration;

    /// <summary>Path of the built <c>s3fanout-publish.dll</c> (run it with <c>dotnet &lt;dll&gt;</c>).</summary>
    public static string PublisherDll => FindBuiltDll(Path.Combine("src", "Publisher"), PublisherAssemblyName);

    /// <summary>Path of the built <c>s3fanout-subscribe.dll</c> (run it with <c>dotnet &lt;dll&gt;</c>).</summary>
    public static string SubscriberDll => FindBuiltDll(Path.Combine("src", "Subscriber"), SubscriberAssemblyName);

    /// <summary>
    /// Finds <paramref name="assemblyName"/>.dll built with the same configuration and target framework as the
    /// running test assembly: first in the project's own output folder (its deps.json matches exactly), then in
    /// the test assembly's own folder (the SDK copies referenced executables there).
    /// A candidate only counts when its runtimeconfig.json lies beside it, so <c>dotnet &lt;dll&gt;</c> can run it.
    /// </summary>
    public static string FindBuiltDll(string projectDirRelativeToRoot, string assemblyName)
    {
        var candidates = new List<string>();
        var layout = OutputLayout();
        if (layout is { } l)
        {
            candidates.Add(Path.Combine(Root, projectDirRelativeToRoot, "bin", l.Configuration, l.TargetFramework, assemblyName + ".dll"));
        }
        candidates.Add(Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll"));

        foreach (var dll in candidates)
        {
            if (File.Exists(dll) && File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
            {
                return dll;
            }
        }
        throw new FileNotFoundException(
            $"Built executable '{assemblyName}.dll' (with its .runtimeconfig.json) not found. Looked in: " +
            string.Join(", ", candidates) +
            ". Build the solution first (scripts/test does), with the same configuration as the tests.");
    }

    private static (string Configuration, string TargetFramework)? OutputLayout()
    {
        // AppContext.BaseDirectory = <project>/bin/<Configuration>/<TargetFramework>/
        var tfmDir = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var cfgDir = tfmDir.Parent;
        var binDir = cfgDir?.Parent;
        if (cfgDir is null || binDir is null || !string.Equals(binDir.Name, "bin", StringComparison.Ordinal))
        {
            return null;
        }
        return (cfgDir.Name, tfmDir.Name);
    }

    private static string FindRoot()
    {
        var start = AppContext.BaseDirectory;
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFileName)))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException(
            $"Could not find the repository root: no folder containing {SolutionFileName} above '{start}'.");
    }
}
