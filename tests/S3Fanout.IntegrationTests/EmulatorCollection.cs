using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.IntegrationTests;

/// <summary>
/// All tests marked <c>[Collection("emulator")]</c> share one <see cref="EmulatorFixture"/> (one emulator process).
/// Tests in one collection run one after another; collections run beside each other (xunit.runner.json), each with an
/// emulator of its own, so the suite's emulator tests are split three ways by area to fit CI's time.
/// </summary>
[CollectionDefinition("emulator")]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>;

/// <summary>The failure-injection scenarios (folder Reliability), on an emulator of their own.</summary>
[CollectionDefinition("emulator-reliability")]
public sealed class ReliabilityEmulatorCollection : ICollectionFixture<EmulatorFixture>;

/// <summary>The fleet, relay and AWS-quota scenarios (folders Fleet, Relay and RealAws), on an emulator of their own.</summary>
[CollectionDefinition("emulator-fleet")]
public sealed class FleetEmulatorCollection : ICollectionFixture<EmulatorFixture>;

/// <summary>
/// Tests that spend most of their time waiting out a quota (a Subscribe held closed for 100 s) get an emulator of their
/// own, so they wait beside the <c>emulator</c> collection instead of after it.
/// </summary>
[CollectionDefinition("emulator-long-waits")]
public sealed class LongWaitEmulatorCollection : ICollectionFixture<EmulatorFixture>;

/// <summary>
/// Scenarios whose assertion is a time bound (a line reaches a running subscriber within 2.5 s), on an emulator of their
/// own and alone: beside the other collections, 40 subscribers starting at once in another test delayed every line by
/// 2 s more than the bound.
/// </summary>
[CollectionDefinition("emulator-timed", DisableParallelization = true)]
public sealed class TimedEmulatorCollection : ICollectionFixture<EmulatorFixture>;
