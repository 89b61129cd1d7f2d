namespace S3Fanout.Shared.Cli;

/// <summary>Lets an s3pipe2 command line work with only the executable name changed.</summary>
internal static class S3pipe2Compat
{
    /// <summary>Drops s3pipe2's direction word (<c>to</c>/<c>from</c>) when it comes before the path.</summary>
    public static string[] DropVerb(string[] args, string verb)
    {
        // Options with values (-m 8) put their value first; only drop the verb when a path follows it.
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == verb && (i == 0 || !TakesValue(args[i - 1])))
            {
                return [.. args[..i], .. args[(i + 1)..]];
            }
        }
        return args;
    }

    /// <summary>s3pipe2 accepted <c>bucket/path</c> without the scheme.</summary>
    public static string NormalizeUrl(string url) =>
        url.Contains("://", StringComparison.Ordinal) || !url.Contains('/', StringComparison.Ordinal) ? url : "s3://" + url.TrimStart('/');

    private static bool TakesValue(string option) =>
        option is "-a" or "-s" or "-r" or "-m" or "-b" or "-p" or "-n" or "-t" or "-o"
        || (option.StartsWith("--", StringComparison.Ordinal) && !option.Contains('=', StringComparison.Ordinal)
            && option is not ("--force" or "--verbose" or "--progress" or "--resume" or "--json-logs" or "--help" or "--version"));
}
