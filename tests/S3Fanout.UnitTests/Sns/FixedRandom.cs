namespace S3Fanout.UnitTests.Sns;

/// <summary>NextDouble normally stays below 1; returning exactly 1 pins the backoff ceiling for tests.</summary>
internal sealed class FixedRandom(double value) : Random
{
    public override double NextDouble() => value;
}
