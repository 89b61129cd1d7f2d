using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// SQS queue tag values "can include Unicode alphanumeric characters in UTF-8 and whitespaces. The following special
/// characters are allowed: _ . : / = + - @", and "the maximum tag Value length is 256 Unicode characters"
/// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html, "Queue tag").
/// A CreateQueue or TagQueue with any other value fails with 400 <c>InvalidParameterValue</c>. fauxqs takes any value.
/// </summary>
/// <remarks>The length is counted in Unicode characters (code points), so a lone half of a UTF-16 pair is refused as no character at all.</remarks>
public sealed partial class SqsTagValuesRule : AwsRule
{
    public const int MaxValueLength = 256;

    public override ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service != AwsService.Sqs || request.Operation is not ("CreateQueue" or "TagQueue"))
        {
            return ValueTask.FromResult<RuleAnswer?>(null);
        }
        var json = request.Json();
        var tags = (json["tags"] ?? json["Tags"]) as JsonObject;
        foreach (var (key, node) in tags ?? [])
        {
            var value = node?.GetValue<string>() ?? "";
            if (Why(value) is { } why)
            {
                return ValueTask.FromResult<RuleAnswer?>(RuleAnswer.Error(AwsService.Sqs, 400, "InvalidParameterValue",
                    $"Tag value of key '{key}' {why}"));
            }
        }
        return ValueTask.FromResult<RuleAnswer?>(null);
    }

    /// <summary>Why SQS refuses <paramref name="value"/> as a tag value, or null when it takes it.</summary>
    public static string? Why(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!IsWellFormed(value))
        {
            return "is not valid UTF-8";
        }
        if (!Allowed().IsMatch(value))
        {
            return "contains characters other than letters, digits, whitespace and _ . : / = + - @";
        }
        return value.EnumerateRunes().Count() > MaxValueLength ? $"is longer than {MaxValueLength} characters" : null;
    }

    private static bool IsWellFormed(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }
        return true;
    }

    [GeneratedRegex(@"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$")]
    private static partial Regex Allowed();
}
