namespace S3Fanout.TestSupport;

/// <summary>Reads the sections of a System.CommandLine --help text.</summary>
public static class HelpSections
{
    /// <summary>The line under "Usage:", e.g. "s3fanout-subscribe verify &lt;url&gt; [options]".</summary>
    public static string UsageLine(string help)
    {
        var lines = help.Split('\n');
        var at = Array.FindIndex(lines, l => l.TrimEnd() == "Usage:");
        return at < 0 || at + 1 >= lines.Length ? "" : lines[at + 1].Trim();
    }

    /// <summary>"-n, --workers" for "  -n, --workers &lt;N&gt;  segments …": one entry per option of the Options section.</summary>
    public static List<string> OptionNames(string help)
    {
        var lines = help.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd() == "Options:") + 1;
        return start == 0
            ? []
            : lines.Skip(start).TakeWhile(l => l.Trim().Length > 0)
                .Select(l => l.Trim())
                .Select(l => l.IndexOf("  ", StringComparison.Ordinal) is var gap and >= 0 ? l[..gap] : l)
                .Select(n => n.Split(" <", 2)[0])
                .ToList();
    }
}
