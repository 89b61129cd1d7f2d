namespace S3Fanout.TestSupport;

/// <summary>
/// What a clean checkout has for building (build props, <c>src/</c> and any extra folders, without build output), copied
/// into a new temporary folder, so a test that builds or publishes never touches the build output the other tests run;
/// and the environment such a build runs with.
/// </summary>
public static class SourceCopy
{
    /// <summary>Copies the sources (and <paramref name="extraFolders"/>, relative to the root) and returns the new folder.</summary>
    public static string Create(params string[] extraFolders)
    {
        ArgumentNullException.ThrowIfNull(extraFolders);
        var target = Directory.CreateTempSubdirectory("s3fanout-source-").FullName;
        foreach (var file in Directory.GetFiles(RepoPaths.Root))
        {
            var name = Path.GetFileName(file);
            if (name.EndsWith(".props", StringComparison.Ordinal) || name.EndsWith(".targets", StringComparison.Ordinal)
                || name is "global.json" or "nuget.config" or "NuGet.config" or "NuGet.Config" or ".editorconfig")
            {
                File.Copy(file, Path.Combine(target, name));
            }
        }
        foreach (var folder in (string[])["src", .. extraFolders])
        {
            CopyTree(Path.Combine(RepoPaths.Root, folder), Path.Combine(target, folder));
        }
        return target;
    }

    /// <summary>
    /// The environment of a build in a copy: the dotnet that runs the tests first on PATH, no telemetry, no build servers
    /// left behind, and none of the MSBuild variables <c>dotnet test</c> set for its own build.
    /// </summary>
    public static Dictionary<string, string> BuildEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Path.GetDirectoryName(ProcessRunner.DotnetHost) + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        };
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) && !environment.ContainsKey(key))
            {
                environment[key] = "";
            }
        }
        return environment;
    }

    private static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        foreach (var dir in Directory.GetDirectories(source))
        {
            if (Path.GetFileName(dir) is not ("bin" or "obj" or "node_modules"))
            {
                CopyTree(dir, Path.Combine(target, Path.GetFileName(dir)));
            }
        }
    }
}
