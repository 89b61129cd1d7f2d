using S3Fanout.Subscriber.Notifications;
using S3Fanout.TestSupport.Rules;
using Xunit;

namespace S3Fanout.UnitTests.Notifications;

/// <summary>Tag values from broadcast and machine names: always valid for SQS, readable, and reversible.</summary>
public sealed class QueueTagsTests
{
    [Theory]
    [InlineData("backups/etc.tar", "backups/etc.tar")]
    [InlineData("a,b", "a=2Cb")]
    [InlineData("x=1", "x=3D1")]
    [InlineData("name#(1)&", "name=23=281=29=26")]
    [InlineData("say \"hi\" \\", "say =22hi=22 =5C")]
    [InlineData("übung", "=C3=BCbung")]
    [InlineData("host_1.example-2 @:/+", "host_1.example-2 @:/+")]
    public void A_name_becomes_a_value_SQS_accepts_and_comes_back_unchanged(string name, string value)
    {
        Assert.Equal(value, QueueTags.Value(name));
        Assert.Null(SqsTagValuesRule.Why(QueueTags.Value(name)));
        Assert.Equal(name, QueueTags.Text(QueueTags.Value(name)));
    }

    [Fact]
    public void A_long_name_is_cut_at_256_characters_between_whole_characters()
    {
        var name = new string('a', 250) + "\U0001F600" + new string('b', 10); // the emoji is 12 characters encoded

        var value = QueueTags.Value(name);

        Assert.Equal(new string('a', 250), value);
        Assert.Null(SqsTagValuesRule.Why(value));
        Assert.Equal(256, QueueTags.Value(new string('c', 300)).Length);
        Assert.Equal(new string('c', 254), QueueTags.Value(new string('c', 254) + ",")); // "=2C" does not fit after 254: cut before it
    }

    [Fact]
    public void A_value_not_written_by_Value_is_read_as_it_is()
    {
        Assert.Equal("plain-host", QueueTags.Text("plain-host"));
        Assert.Equal("a=zz", QueueTags.Text("a=zz"));
    }
}
