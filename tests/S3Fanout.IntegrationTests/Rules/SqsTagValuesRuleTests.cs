using Amazon.SQS;
using Amazon.SQS.Model;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

[Collection("emulator")]
public sealed class SqsTagValuesRuleTests(EmulatorFixture emulator)
{
    [Theory]
    [InlineData("a,b")]
    [InlineData("name#1")]
    [InlineData("(x)")]
    [InlineData("a&b")]
    public async Task A_tag_value_with_a_character_SQS_does_not_allow_is_refused(string value)
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        proxy.Rules.Add(new SqsTagValuesRule());
        using var sqs = RuleClients.Sqs(emulator, proxy);

        var refused = await Assert.ThrowsAsync<AmazonSQSException>(() => CreateAsync(sqs, value));

        Assert.Equal("InvalidParameterValue", refused.ErrorCode);
        Assert.Equal(1, proxy.Rules.Refusals("InvalidParameterValue"));
    }

    [Fact]
    public async Task The_length_limit_counts_characters_not_bytes()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        proxy.Rules.Add(new SqsTagValuesRule());
        using var sqs = RuleClients.Sqs(emulator, proxy);

        await CreateAsync(sqs, new string('é', 256)); // 512 bytes of UTF-8, 256 characters
        await CreateAsync(sqs, "letters digits 09 and _ . : / = + - @");
        var refused = await Assert.ThrowsAsync<AmazonSQSException>(() => CreateAsync(sqs, new string('a', 257)));

        Assert.Equal("InvalidParameterValue", refused.ErrorCode);
    }

    [Fact]
    public async Task Without_the_rule_the_emulator_takes_any_tag_value()
    {
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        using var sqs = RuleClients.Sqs(emulator, proxy);

        await CreateAsync(sqs, "a,b#(c)&" + new string('x', 300));
    }

    private async Task CreateAsync(IAmazonSQS sqs, string value)
    {
        var created = await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = emulator.UniqueName("tagrule"),
            Tags = new Dictionary<string, string> { ["s3fanout:watching"] = value },
        });
        await emulator.Sqs.DeleteQueueAsync(created.QueueUrl);
    }
}
