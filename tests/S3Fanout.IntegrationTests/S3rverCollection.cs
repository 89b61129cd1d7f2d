using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests;

/// <summary>Tests marked <c>[Collection("s3rver")]</c> share one <see cref="S3rverFixture"/>: s3rver as a second S3 backend.</summary>
[CollectionDefinition("s3rver")]
public sealed class S3rverCollection : ICollectionFixture<S3rverFixture>;
