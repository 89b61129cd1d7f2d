using System.Text.Json;
using Amazon.SQS.Model;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary>
/// A policy for the value <c>say "hi" \ bye</c> written with one level of JSON escaping, and one with two, against the
/// emulator with and without the rule. A plain value published after the odd one is the barrier: once it arrived, the
/// odd one would have arrived before it.
/// </summary>
[Collection("emulator")]
public sealed class SnsFilterEscapingRuleTests(EmulatorFixture emulator)
{
    private const string Odd = "say \"hi\" \\ bye";
    private const string Plain = "plain";

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(true, true, true)]
    [InlineData(false, false, true)]
    public async Task Only_a_double_escaped_policy_matches_a_value_with_quotes_and_backslashes(bool rule, bool doubleEscaped, bool delivered)
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        if (rule)
        {
            proxy.Rules.Add(new SnsFilterEscapingRule());
        }
        using var sns = RuleClients.Sns(emulator, proxy);
        var topic = await sns.CreateTopicAsync(emulator.UniqueName("escape"), tags: null, CancellationToken.None);
        var queue = await emulator.CreateQueueAsync("escape");
        var written = doubleEscaped ? Odd.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) : Odd;
        var policy = JsonSerializer.Serialize(new Dictionary<string, string[]> { ["k"] = [written, Plain] });
        await sns.SubscribeAsync(topic, "sqs", queue.Arn, new Dictionary<string, string>
        {
            ["RawMessageDelivery"] = "true",
            ["FilterPolicyScope"] = "MessageAttributes",
            ["FilterPolicy"] = policy,
        }, CancellationToken.None);

        await sns.PublishAsync(topic, "odd", new Dictionary<string, string> { ["k"] = Odd }, CancellationToken.None);
        await sns.PublishAsync(topic, "plain", new Dictionary<string, string> { ["k"] = Plain }, CancellationToken.None);
        var bodies = new List<string>();
        await Poll.UntilAsync(async () =>
        {
            var got = await emulator.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queue.Url, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 });
            bodies.AddRange((got.Messages ?? []).Select(m => m.Body));
            return bodies.Contains("plain");
        }, TimeSpan.FromSeconds(20), "the plain message");

        Assert.Equal(delivered, bodies.Contains("odd"));
    }
}
