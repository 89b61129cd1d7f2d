using System.Text.Json.Nodes;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>Not an AWS behaviour: observes how many SQS messages the endpoint handed out, so a test can tell notifications from manifest polling.</summary>
public sealed class DeliveryCounter : AwsRule
{
    private int _messages;

    /// <summary>Messages returned by ReceiveMessage so far.</summary>
    public int Messages => Volatile.Read(ref _messages);

    public override RuleAnswer After(RuleRequest request, RuleAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);
        if (request.Service == AwsService.Sqs && request.Operation == "ReceiveMessage" && answer.Status == 200
            && answer.Body.Length > 0 && JsonNode.Parse(answer.Body)?[nameof(Messages)] is JsonArray messages)
        {
            Interlocked.Add(ref _messages, messages.Count);
        }
        return answer;
    }
}
