using Amazon.SQS.Model;
using S3Fanout.TestSupport;
using S3Fanout.TestSupport.Faults;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.IntegrationTests.Rules;

/// <summary>The ListQueues paging rule: a page at most, a NextToken only when MaxResults was set.</summary>
[Collection("emulator")]
public sealed class SqsListQueuesRuleTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task WithoutMaxResults_OnePageAndNoToken_WithMaxResults_EveryPageByToken()
    {
        var prefix = emulator.UniqueName("pages");
        for (var i = 0; i < 5; i++)
        {
            await emulator.Sqs.CreateQueueAsync($"{prefix}-{i}");
        }
        await using var proxy = new FaultProxy(emulator.Endpoint, seed: 1);
        proxy.Rules.Add(new SqsListQueuesRule { PageSize = 2 });
        using var sqs = RuleClients.Sqs(emulator, proxy);

        var plain = await sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = prefix });
        var all = new List<string>();
        string? token = null;
        do
        {
            var page = await sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = prefix, MaxResults = 1000, NextToken = token });
            Assert.True(page.QueueUrls.Count <= 2);
            all.AddRange(page.QueueUrls);
            token = page.NextToken;
        }
        while (token is not null);
        var refused = await Assert.ThrowsAnyAsync<Amazon.SQS.AmazonSQSException>(() => sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = prefix, MaxResults = 1001 }));

        Assert.Equal(2, plain.QueueUrls.Count);
        Assert.Null(plain.NextToken);
        Assert.Equal(5, all.Distinct().Count());
        Assert.Equal("InvalidParameterValue", refused.ErrorCode);
    }
}
