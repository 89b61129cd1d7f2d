using System.Collections.Concurrent;
using System.Globalization;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// Not an AWS behaviour: counts SQS requests per operation and per queue (the queue's name, from <c>QueueUrl</c> or
/// CreateQueue's <c>QueueName</c>), so a test can state what a subscriber costs in SQS requests (SQS bills each
/// request: https://aws.amazon.com/sqs/pricing/).
/// </summary>
public sealed class SqsRequestCounter : AwsRule
{
    private readonly ConcurrentDictionary<string, int> _byOperation = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _byQueue = new(StringComparer.Ordinal);
    private int _total;

    /// <summary>SQS requests seen, whatever their answer.</summary>
    public int Total => Volatile.Read(ref _total);

    public int Of(string operation) => _byOperation.GetValueOrDefault(operation);

    /// <summary>Requests per queue name (ListQueues, which names none, is left out).</summary>
    public IReadOnlyDictionary<string, int> ByQueue => _byQueue;

    public override ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Service == AwsService.Sqs)
        {
            Interlocked.Increment(ref _total);
            _byOperation.AddOrUpdate(request.Operation, 1, (_, n) => n + 1);
            var json = request.Json();
            var queue = (string?)json["QueueUrl"] is { } url ? url[(url.LastIndexOf('/') + 1)..] : (string?)json["QueueName"];
            if (queue is not null)
            {
                _byQueue.AddOrUpdate(queue, 1, (_, n) => n + 1);
            }
        }
        return ValueTask.FromResult<RuleAnswer?>(null);
    }

    /// <summary>"ReceiveMessage 12, DeleteMessageBatch 11, …", for failure messages.</summary>
    public override string ToString() =>
        string.Join(", ", _byOperation.OrderByDescending(p => p.Value).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value}")));
}
