using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace S3Fanout.IntegrationTests.Scenarios;

/// <summary>
/// Reads INI text the way s3pipe2 did: Python 2.7's <c>ConfigParser.RawConfigParser.read</c> (section headers
/// <c>[name]</c>, <c>option = value</c> or <c>option: value</c>, '#'/';' comment lines, indented continuation lines,
/// option names lowercased) and throws where Python would raise MissingSectionHeaderError or ParsingError.
/// Also the typed getters s3pipe2 used on the manifest: <c>getint</c> and <c>getboolean</c>.
/// </summary>
internal static partial class ConfigParserIni
{
    public static Dictionary<string, Dictionary<string, string>> Parse(string text)
    {
        var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        Dictionary<string, string>? current = null;
        string? lastOption = null;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0 || line[0] is '#' or ';' || (line.Length >= 3 && line[..3].Equals("rem", StringComparison.OrdinalIgnoreCase) && line.Split(' ')[0].Equals("rem", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            if (char.IsWhiteSpace(line[0]) && current is not null && lastOption is not null)
            {
                var continuation = line.Trim();
                if (continuation.Length > 0)
                {
                    current[lastOption] += "\n" + continuation;
                }
                continue;
            }
            var header = SectionHeader().Match(line);
            if (header.Success)
            {
                var name = header.Groups["header"].Value;
                if (!sections.TryGetValue(name, out current))
                {
                    current = new Dictionary<string, string>(StringComparer.Ordinal);
                    sections[name] = current;
                }
                lastOption = null;
                continue;
            }
            if (current is null)
            {
                throw new XunitException($"ConfigParser would raise MissingSectionHeaderError at line {lineNumber}: {line}");
            }
            var option = OptionLine().Match(line);
            if (!option.Success)
            {
                throw new XunitException($"ConfigParser would raise ParsingError at line {lineNumber}: {line}");
            }
            var value = option.Groups["value"].Value;
            var semicolon = value.IndexOf(';', StringComparison.Ordinal);
            if (semicolon > 0 && char.IsWhiteSpace(value[semicolon - 1]))
            {
                value = value[..semicolon];
            }
            value = value.Trim();
            if (value == "\"\"")
            {
                value = "";
            }
            lastOption = option.Groups["option"].Value.TrimEnd().ToLowerInvariant();
            current[lastOption] = value;
        }
        return sections;
    }

    /// <summary>Python's <c>int(value)</c> as used by <c>getint</c>.</summary>
    public static long GetInt(IReadOnlyDictionary<string, string> section, string option)
    {
        if (!section.TryGetValue(option, out var text))
        {
            throw new XunitException($"ConfigParser would raise NoOptionError for '{option}'");
        }
        return long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new XunitException($"ConfigParser.getint('{option}') would raise ValueError for '{text}'");
    }

    /// <summary>Python 2's <c>getboolean</c>: 1/yes/true/on and 0/no/false/off, case-insensitive.</summary>
    public static bool GetBoolean(IReadOnlyDictionary<string, string> section, string option)
    {
        if (!section.TryGetValue(option, out var text))
        {
            throw new XunitException($"ConfigParser would raise NoOptionError for '{option}'");
        }
        return text.ToLowerInvariant() switch
        {
            "1" or "yes" or "true" or "on" => true,
            "0" or "no" or "false" or "off" => false,
            _ => throw new XunitException($"ConfigParser.getboolean('{option}') would raise ValueError: Not a boolean: {text}"),
        };
    }

    [GeneratedRegex(@"^\[(?<header>[^]]+)\]")]
    private static partial Regex SectionHeader();

    [GeneratedRegex(@"^(?<option>[^:=\s][^:=]*)\s*(?<vi>[:=])\s*(?<value>.*)$")]
    private static partial Regex OptionLine();
}
