using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// Queues whose messages this principal may not send: SendMessage (and SendMessageBatch) to a queue the predicate
/// names answers 400 KmsAccessDenied, as SQS does for a queue encrypted with a KMS key the caller cannot use
/// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html, Errors:
/// "KmsAccessDenied: The caller doesn't have the required KMS access. HTTP Status Code: 400").
/// </summary>
public sealed class SqsKmsDeniedQueueRule(Func<string, bool> deniedQueueUrl) : AwsRule
{
    public override ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var denied = request.Service == AwsService.Sqs && request.Operation is "SendMessage" or "SendMessageBatch"
            && request.Json()["QueueUrl"]?.GetValue<string>() is { } queue && deniedQueueUrl(queue);
        return ValueTask.FromResult(denied
            ? RuleAnswer.Error(AwsService.Sqs, 400, "KmsAccessDenied", "The caller doesn't have the required KMS access.")
            : null);
    }
}
