using S3Fanout.Shared.Protocol;
using Xunit;

namespace S3Fanout.UnitTests.Protocol;

public sealed class ReplicaLayoutTests
{
    [Fact]
    public void A_replica_key_sits_in_a_dot_folder_per_replica_and_parses_back()
    {
        Assert.Equal("a/b/000000000000007", KeyLayout.SegmentKey("a/b", 7, 0));
        Assert.Equal("a/b/.replica-3/000000000000007", KeyLayout.SegmentKey("a/b", 7, 3));
        Assert.True(KeyLayout.TryParseReplicaKey("a/b", "a/b/.replica-12/000000000000042", out var replica, out var index));
        Assert.Equal((12, 42L), (replica, index));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyLayout.ReplicaPrefix("a", KeyLayout.MaxReplicas + 1));
    }

    [Theory]
    [InlineData("a/b/000000000000001")]
    [InlineData("a/b/.replica-0/000000000000001")]
    [InlineData("a/b/.replica-01/000000000000001")]
    [InlineData("a/b/.replica-17/000000000000001")]
    [InlineData("a/b/.replica-1/00000000000001")]
    [InlineData("a/b/.replica-1/x/000000000000001")]
    [InlineData("a/b/.replica-/000000000000001")]
    [InlineData("a/bc/.replica-1/000000000000001")]
    [InlineData("a/b/.replica-1")]
    public void Anything_else_is_no_replica_key(string key) =>
        Assert.False(KeyLayout.TryParseReplicaKey("a/b", key, out _, out _));

    [Fact]
    public void The_manifest_records_the_replica_count_only_when_there_are_replicas_and_reads_it_back()
    {
        var with = new Manifest { FormatVersion = 1, Replicas = 3 };
        Assert.Contains("replicas = 3\n", ManifestCodec.Format(with), StringComparison.Ordinal);
        Assert.Equal(3, ManifestCodec.Parse(ManifestCodec.Format(with)).Replicas);
        Assert.DoesNotContain("replicas", ManifestCodec.Format(with with { Replicas = 0 }), StringComparison.Ordinal);
        Assert.Equal(0, ManifestCodec.Parse("[s3pipe2]\ncompleted = true\nnum_segments = 1\n").Replicas);
        Assert.Throws<ManifestException>(() => ManifestCodec.Parse("[s3pipe2]\ncompleted = false\nreplicas = 99\n"));
    }

    [Fact]
    public void The_choice_is_stable_spreads_over_primary_and_replicas_and_is_the_primary_without_replicas()
    {
        Assert.Equal(ReplicaChoice.For("host-a", 3), ReplicaChoice.For("host-a", 3));
        Assert.Equal(0, ReplicaChoice.For("host-a", 0));
        var counts = Enumerable.Range(0, 4000).GroupBy(i => ReplicaChoice.For($"mirror-{i}", 3)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([0, 1, 2, 3], counts.Keys.Order());
        Assert.All(counts.Values, n => Assert.InRange(n, 850, 1150));
    }
}
