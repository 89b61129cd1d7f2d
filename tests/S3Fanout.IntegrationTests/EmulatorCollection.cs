using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests;

/// <summary>
/// All tests marked <c>[Collection("emulator")]</c> share one <see cref="EmulatorFixture"/> (one emulator process
/// for the whole test assembly). Tests in one collection run one after another.
/// </summary>
[CollectionDefinition("emulator")]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>;

/// <summary>
/// Tests that spend most of their time waiting out a quota (a Subscribe held closed for 100 s) get an emulator of their
/// own, so they wait beside the <c>emulator</c> collection instead of after it.
/// </summary>
[CollectionDefinition("emulator-long-waits")]
public sealed class LongWaitEmulatorCollection : ICollectionFixture<EmulatorFixture>;
