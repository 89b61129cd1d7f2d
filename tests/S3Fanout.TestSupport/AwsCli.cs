namespace S3Fanout.TestSupport;

/// <summary>Debian's aws-cli v2 (/usr/bin/aws, installed by scripts/test), as any S3 user would run it.</summary>
public static class AwsCli
{
    public const string Path = "/usr/bin/aws";

    /// <summary>
    /// <c>aws s3 cp URL -</c> against the emulator; returns the exit code, the SHA-256 of what it wrote and its stderr.
    /// aws-cli 2.9 does not read AWS_ENDPOINT_URL, so the endpoint is passed on the command line.
    /// </summary>
    public static async Task<(int Code, string Sha256, string Stderr)> CatSha256Async(EmulatorFixture emulator, string url)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        await using var process = ProcessRunner.Start(Path, ["s3", "cp", url, "-", "--endpoint-url", emulator.Endpoint.ToString()], new ProcessOptions
        {
            Environment = emulator.ChildEnvironment,
        });
        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(90));
        return (code, process.StdoutSha256, process.Stderr);
    }
}
