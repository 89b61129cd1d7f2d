using System.Text.RegularExpressions;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests.Packaging;

/// <summary>
/// Builds are CPU-heavy on a 2-core machine: these tests run on their own, after the parallel ones, never beside
/// the timing-sensitive emulator scenarios.
/// </summary>
[CollectionDefinition("packaging", DisableParallelization = true)]
public sealed class PackagingCollection;

/// <summary>
/// The README's install blocks are run verbatim: the .NET tool packages install and run, and the single-file
/// executables build and run. Each runs in a fresh copy of the sources (as a clean checkout would), so it never
/// touches the build output the other tests run.
/// </summary>
[Collection("packaging")]
public sealed partial class PackagingTests
{
    private static readonly TimeSpan s_buildDeadline = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Both_executables_install_as_dotnet_tools_from_packages_built_from_the_sources()
    {
        var copy = SourceCopy.Create();
        try
        {
            // A package of the same id and version extracted by an earlier run would be installed instead of the new one.
            ForgetCachedPackages("s3fanout.publisher", "s3fanout.subscriber");
            var stdout = await RunReadmeBlockAsync("tools", copy);

            Assert.Equal([Version, Version], LastLines(stdout, 2));
            Assert.True(File.Exists(Path.Combine(copy, "packages", $"S3Fanout.Publisher.{Version}.nupkg")));
            Assert.True(File.Exists(Path.Combine(copy, "packages", $"S3Fanout.Subscriber.{Version}.nupkg")));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task Single_file_executables_for_linux_x64_build_and_run_without_the_dotnet_host()
    {
        var copy = SourceCopy.Create();
        try
        {
            var stdout = await RunReadmeBlockAsync("single-file", copy);

            Assert.Equal([Version, Version], LastLines(stdout, 2));
            var output = Path.Combine(copy, "out");
            // One file per role: no framework-dependent dll or runtimeconfig beside it.
            Assert.DoesNotContain(Directory.GetFiles(output), f => f.EndsWith(".dll", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal));
            foreach (var name in new[] { RepoPaths.PublisherAssemblyName, RepoPaths.SubscriberAssemblyName })
            {
                // Started directly, not through `dotnet`: the runtime is inside the file.
                await using var run = ProcessRunner.Start(Path.Combine(output, name), ["--help"],
                    new ProcessOptions { Environment = new Dictionary<string, string> { ["DOTNET_ROOT"] = "", ["PATH"] = "/usr/bin:/bin" } });
                Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromMinutes(1)));
                Assert.Contains("Exit codes:", run.StdoutText, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void Dockerfiles_and_the_compose_file_name_projects_files_and_executables_that_exist()
    {
        // No Docker engine here: the images are not built in CI. This keeps them from silently pointing at
        // renamed projects, folders or executables.
        foreach (var (project, executable) in new[] { ("Publisher", RepoPaths.PublisherAssemblyName), ("Subscriber", RepoPaths.SubscriberAssemblyName) })
        {
            var dockerfile = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", project, "Dockerfile"));
            Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", dockerfile, StringComparison.Ordinal);
            Assert.Contains("FROM mcr.microsoft.com/dotnet/runtime-deps:10.0", dockerfile, StringComparison.Ordinal);
            foreach (Match copy in CopyFromContext().Matches(dockerfile))
            {
                foreach (var source in copy.Groups["sources"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var path = Path.Combine(RepoPaths.Root, source);
                    Assert.True(File.Exists(path) || Directory.Exists(path), $"src/{project}/Dockerfile copies '{source}', which does not exist");
                }
            }
            Assert.Contains($"dotnet publish src/{project} -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true", dockerfile, StringComparison.Ordinal);
            Assert.Contains($"COPY --from=build /out/{executable} /usr/local/bin/{executable}", dockerfile, StringComparison.Ordinal);
            Assert.Contains($"ENTRYPOINT [\"{executable}\"]", dockerfile, StringComparison.Ordinal);
            var csproj = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", project, $"S3Fanout.{project}.csproj"));
            Assert.Contains($"<AssemblyName>{executable}</AssemblyName>", csproj, StringComparison.Ordinal);
        }
        var compose = File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "localstack", "docker-compose.yml"));
        foreach (Match dockerfile in ComposeDockerfile().Matches(compose))
        {
            Assert.True(File.Exists(Path.Combine(RepoPaths.Root, dockerfile.Groups["path"].Value)), $"docker-compose.yml builds {dockerfile.Groups["path"].Value}, which does not exist");
        }
        // LocalStack, a publisher and two subscribers (the second subscriber repeats the first one's build).
        Assert.Contains("dockerfile: src/Publisher/Dockerfile", compose, StringComparison.Ordinal);
        Assert.Contains("dockerfile: src/Subscriber/Dockerfile", compose, StringComparison.Ordinal);
        foreach (var service in new[] { "localstack", "publisher", "subscriber-1", "subscriber-2" })
        {
            Assert.Contains($"\n  {service}:", compose, StringComparison.Ordinal);
        }
    }

    private static string Version => s_version.Value;

    private static readonly Lazy<string> s_version = new(() =>
        VersionProperty().Match(File.ReadAllText(Path.Combine(RepoPaths.Root, "Directory.Build.props"))).Groups["v"].Value);

    /// <summary>Runs the README block marked "(<paramref name="name"/>)" with bash in <paramref name="directory"/>; returns its stdout.</summary>
    private static async Task<string> RunReadmeBlockAsync(string name, string directory)
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "README.md"));
        var block = Regex.Match(readme, $@"PackagingTests\.cs \({Regex.Escape(name)}\)\. -->\s*```bash\n(?<body>.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, $"README.md has no block marked PackagingTests.cs ({name})");

        var environment = SourceCopy.BuildEnvironment();
        await using var run = ProcessRunner.Start("/bin/bash", ["-euo", "pipefail", "-c", block.Groups["body"].Value],
            new ProcessOptions { Environment = environment, WorkingDirectory = directory });
        var code = await run.WaitForExitAsync(s_buildDeadline);
        Assert.True(code == 0, $"README block ({name}) exited {code}:\n{run.StdoutText[Math.Max(0, run.StdoutText.Length - 4000)..]}\n{run.StderrTail()}");
        return run.StdoutText;
    }

    private static void ForgetCachedPackages(params string[] ids)
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in ids)
        {
            var dir = Path.Combine(root, id, Version);
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private static string[] LastLines(string text, int count)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines[Math.Max(0, lines.Length - count)..];
    }

    [GeneratedRegex("<Version>(?<v>[^<]+)</Version>")]
    private static partial Regex VersionProperty();

    [GeneratedRegex(@"^COPY (?!--from)(?<sources>.+) \S+$", RegexOptions.Multiline)]
    private static partial Regex CopyFromContext();

    [GeneratedRegex(@"dockerfile: (?<path>\S+)")]
    private static partial Regex ComposeDockerfile();
}
