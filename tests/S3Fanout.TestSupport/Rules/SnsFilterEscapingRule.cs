using System.Text;
using System.Text.Json.Nodes;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// SNS matches an attribute-based filter policy against the attribute value with its double quotes and backslashes
/// escaped: "you must double-escape certain special characters, specifically double quotes (") and backslashes (\). If
/// you don't double-escape these characters, the filter policy won't match the attributes of a published message"
/// (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html, "Policy constraints for
/// attribute-based filtering"). fauxqs compares the policy's string with the raw value, so a single-escaped policy matches
/// there and never on AWS.
/// </summary>
/// <remarks>
/// The rule rewrites the FilterPolicy of Subscribe and SetSubscriptionAttributes so that fauxqs matches as SNS does: a
/// policy string that is the escaped form of some value (every <c>"</c> and <c>\</c> preceded by <c>\</c>) becomes that
/// value; any other string (a bare <c>"</c> or <c>\</c>) can match no value and becomes one that matches nothing. Exact
/// values and <c>prefix</c> are handled; a prefix that ends inside an escape counts as matching nothing.
/// </remarks>
public sealed class SnsFilterEscapingRule : AwsRule
{
    private static readonly string Unmatchable = "s3fanout-rule-unmatchable-" + Guid.NewGuid().ToString("N");

    public override async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service != AwsService.Sns || request.Operation is not ("Subscribe" or "SetSubscriptionAttributes"))
        {
            return null;
        }
        var form = request.FormValues().ToList();
        var changed = false;
        for (var i = 0; i < form.Count; i++)
        {
            if (IsFilterPolicy(form, i) && JsonNode.Parse(form[i].Value) is JsonObject policy)
            {
                Rewrite(policy);
                form[i] = new(form[i].Key, policy.ToJsonString());
                changed = true;
            }
        }
        if (!changed)
        {
            return null;
        }
        var body = Encoding.UTF8.GetBytes(string.Join('&', form.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value))));
        return await request.AskUpstreamAsync(request.Request.Method, request.Request.Target,
            [new("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body).ConfigureAwait(false);
    }

    /// <summary>Subscribe: Attributes.entry.N.value whose key is FilterPolicy; SetSubscriptionAttributes: AttributeValue.</summary>
    private static bool IsFilterPolicy(List<KeyValuePair<string, string>> form, int i)
    {
        var name = form[i].Key;
        if (name == "AttributeValue")
        {
            return form.Any(kv => kv.Key == "AttributeName" && kv.Value == "FilterPolicy");
        }
        return name.StartsWith("Attributes.entry.", StringComparison.Ordinal) && name.EndsWith(".value", StringComparison.Ordinal)
            && form.Any(kv => kv.Key == name[..^".value".Length] + ".key" && kv.Value == "FilterPolicy");
    }

    private static void Rewrite(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    if (o[key] is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        o[key] = Unescape(s);
                    }
                    else
                    {
                        Rewrite(o[key]);
                    }
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        a[i] = Unescape(s);
                    }
                    else
                    {
                        Rewrite(a[i]);
                    }
                }
                break;
        }
    }

    /// <summary>The value whose escaped form is <paramref name="policyString"/>, or a string no value has.</summary>
    private static string Unescape(string policyString)
    {
        var value = new StringBuilder(policyString.Length);
        for (var i = 0; i < policyString.Length; i++)
        {
            var c = policyString[i];
            if (c == '"')
            {
                return Unmatchable;
            }
            if (c == '\\')
            {
                if (i + 1 >= policyString.Length || policyString[i + 1] is not ('\\' or '"'))
                {
                    return Unmatchable;
                }
                c = policyString[++i];
            }
            value.Append(c);
        }
        return value.ToString();
    }
}
