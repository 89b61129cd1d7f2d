using System.Globalization;
using System.Text;

namespace S3Fanout.Shared.Aws.Sns;

/// <summary>
/// The form fields of one SNS Query API call, encoded as the exact bytes that get signed and sent.
/// Fields keep their insertion order and maps are sorted by key, so equal calls produce equal bodies.
/// </summary>
internal sealed class SnsQueryRequest
{
    public const string ApiVersion = "2010-03-31";

    private readonly List<KeyValuePair<string, string>> _fields = [];

    public SnsQueryRequest(string action)
    {
        ArgumentException.ThrowIfNullOrEmpty(action);
        Action = action;
        Add("Action", action);
        Add("Version", ApiVersion);
    }

    public string Action { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    public SnsQueryRequest Add(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value, name);
        _fields.Add(new(name, value));
        return this;
    }

    /// <summary>Adds <c>{prefix}.{N}.{keyName}</c> / <c>{prefix}.{N}.{valueName}</c> pairs, N from 1.</summary>
    /// <example>AddMap("Attributes.entry", attrs, "key", "value"); AddMap("Tags.member", tags, "Key", "Value").</example>
    public SnsQueryRequest AddMap(string prefix, IReadOnlyDictionary<string, string>? map, string keyName, string valueName)
    {
        var n = 0;
        foreach (var (key, value) in Sorted(map))
        {
            n++;
            Add(Invariant($"{prefix}.{n}.{keyName}"), key);
            Add(Invariant($"{prefix}.{n}.{valueName}"), value);
        }

        return this;
    }

    /// <summary>Adds <c>MessageAttributes.entry.N.*</c> fields.</summary>
    public SnsQueryRequest AddStringMessageAttributes(IReadOnlyDictionary<string, string>? attributes)
    {
        var n = 0;
        foreach (var (name, value) in Sorted(attributes))
        {
            n++;
            var entry = Invariant($"MessageAttributes.entry.{n}");
            Add(entry + ".Name", name);
            Add(entry + ".Value.DataType", "String");
            Add(entry + ".Value.StringValue", value);
        }

        return this;
    }

    public byte[] ToBody()
    {
        var body = new StringBuilder();
        foreach (var (name, value) in _fields)
        {
            if (body.Length > 0)
            {
                body.Append('&');
            }

            body.Append(PercentEncode(name)).Append('=').Append(PercentEncode(value));
        }

        return Encoding.ASCII.GetBytes(body.ToString());
    }

    /// <summary>
    /// RFC 3986 encoding of UTF-8 bytes: only unreserved characters stay literal, spaces become %20, hex is
    /// upper case. This is what SigV4 canonicalisation expects, and it keeps JSON such as filter policies intact.
    /// </summary>
    internal static string PercentEncode(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var encoded = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (IsUnreserved(b))
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }

    private static bool IsUnreserved(byte b) =>
        b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~';

    private static IEnumerable<KeyValuePair<string, string>> Sorted(IReadOnlyDictionary<string, string>? map) =>
        map is null ? [] : map.OrderBy(kv => kv.Key, StringComparer.Ordinal);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
