using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace S3Fanout.Shared.Aws.Sns;

/// <summary>
/// Reads SNS Query API XML. Elements are matched by local name only, because emulators do not always
/// put responses in SNS's namespace.
/// </summary>
internal static class SnsResponseParser
{
    private static readonly XmlReaderSettings ReaderSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
    };

    /// <summary>The <c>{Action}Result</c> element of a successful response.</summary>
    public static XElement ParseResult(string action, string body)
    {
        var root = Load(body) ?? throw Malformed(action, "the body is not XML");
        return Child(root, action + "Result") ?? throw Malformed(action, $"it has no {action}Result element");
    }

    /// <summary>The text of a required child of the result, such as TopicArn or MessageId.</summary>
    public static string RequiredValue(string action, XElement result, string name)
    {
        var value = Child(result, name)?.Value;
        return string.IsNullOrEmpty(value) ? throw Malformed(action, $"it has no {name}") : value;
    }

    /// <summary>Reads <c>Attributes/entry/{key,value}</c>, the shape of GetTopicAttributes.</summary>
    public static IReadOnlyDictionary<string, string> ParseAttributes(XElement result)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Children(Child(result, "Attributes"), "entry"))
        {
            var key = Child(entry, "key")?.Value;
            if (!string.IsNullOrEmpty(key))
            {
                attributes[key] = Child(entry, "value")?.Value ?? string.Empty;
            }
        }

        return attributes;
    }

    /// <summary>Reads <c>Subscriptions/member/{SubscriptionArn,Protocol,Endpoint}</c> and <c>NextToken</c>, the shape of ListSubscriptionsByTopic.</summary>
    public static SnsSubscriptionPage ParseSubscriptions(XElement result)
    {
        var subscriptions = Children(Child(result, "Subscriptions"), "member")
            .Select(m => new SnsSubscription(Child(m, "SubscriptionArn")?.Value ?? "", Child(m, "Protocol")?.Value ?? "", Child(m, "Endpoint")?.Value ?? ""))
            .ToList();
        var next = Child(result, "NextToken")?.Value;
        return new SnsSubscriptionPage(subscriptions, string.IsNullOrEmpty(next) ? null : next);
    }

    /// <summary>
    /// Turns an error response into an exception. Bodies that are not SNS errors (a proxy's HTML page, say)
    /// are left out of the message: only the status says what happened.
    /// </summary>
    public static SnsException ParseError(string action, int statusCode, string? reasonPhrase, string body)
    {
        var root = Load(body);
        var error = root?.DescendantsAndSelf().FirstOrDefault(e => e.Name.LocalName == "Error");
        var code = error is null ? null : Child(error, "Code")?.Value;
        var text = error is null ? null : Child(error, "Message")?.Value;
        var requestId = root?.DescendantsAndSelf().FirstOrDefault(e => e.Name.LocalName == "RequestId")?.Value;

        code = string.IsNullOrEmpty(code) ? "Http" + statusCode.ToString(CultureInfo.InvariantCulture) : code;
        text = string.IsNullOrEmpty(text) ? reasonPhrase ?? "no details" : text;
        return new SnsException(
            code,
            string.Create(CultureInfo.InvariantCulture, $"SNS {action} failed with {code} (HTTP {statusCode}): {text}"),
            statusCode,
            string.IsNullOrEmpty(requestId) ? null : requestId);
    }

    private static XElement? Load(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var reader = XmlReader.Create(new StringReader(body), ReaderSettings);
            return XDocument.Load(reader).Root;
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static XElement? Child(XElement? parent, string localName) =>
        Children(parent, localName).FirstOrDefault();

    private static IEnumerable<XElement> Children(XElement? parent, string localName) =>
        parent?.Elements().Where(e => e.Name.LocalName == localName) ?? [];

    private static SnsException Malformed(string action, string why) =>
        new("MalformedResponse", $"SNS {action} returned a response that cannot be read: {why}.", 200);
}
