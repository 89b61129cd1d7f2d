using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests;

/// <summary>
/// All tests marked <c>[Collection("emulator")]</c> share one <see cref="EmulatorFixture"/> (one emulator process
/// for the whole test assembly). Tests in one collection run one after another.
/// </summary>
[CollectionDefinition("emulator")]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>;
