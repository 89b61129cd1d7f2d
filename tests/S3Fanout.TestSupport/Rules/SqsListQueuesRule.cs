using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// SQS ListQueues pages as AWS does: at most <see cref="PageSize"/> queues an answer (1,000 on AWS), a NextToken only
/// when the request set MaxResults, and MaxResults outside 1..1,000 refused
/// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/list-all-queues-pagination.html: "If you
/// do not set MaxResults, the response includes a maximum of 1,000 results and the NextToken value in the response is
/// null"; https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html: MaxResults "Value
/// range is 1 to 1000"). A test sets a small page size to stand for 1,000 queues with a handful.
/// </summary>
public sealed class SqsListQueuesRule : AwsRule
{
    public int PageSize { get; init; } = 1000;

    public override async ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service != AwsService.Sqs || request.Operation != "ListQueues")
        {
            return null;
        }
        var json = request.Json();
        var max = json["MaxResults"]?.GetValue<int>();
        if (max is < 1 or > 1000)
        {
            return RuleAnswer.Error(AwsService.Sqs, 400, "InvalidParameterValue", "Value for parameter MaxResults is invalid. Reason: must be between 1 and 1000.");
        }
        var ask = new JsonObject
        {
            ["QueueNamePrefix"] = json["QueueNamePrefix"]?.DeepClone(),
            ["MaxResults"] = Math.Min(max ?? PageSize, PageSize),
            ["NextToken"] = json["NextToken"]?.DeepClone(),
        };
        var answer = await request.AskUpstreamAsync("POST", "/", [
            new("X-Amz-Target", "AmazonSQS.ListQueues"),
            new("Content-Type", "application/x-amz-json-1.0"),
        ], Encoding.UTF8.GetBytes(ask.ToJsonString())).ConfigureAwait(false);
        if (max is not null || answer.Status != 200 || JsonNode.Parse(answer.Body) is not JsonObject page)
        {
            return answer;
        }
        page.Remove("NextToken");
        var body = Encoding.UTF8.GetBytes(page.ToJsonString());
        answer.Head.Set("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture));
        return answer with { Body = body };
    }
}
