namespace S3Fanout.TestSupport.Rules;

/// <summary>
/// One documented AWS behaviour that the emulator does not have, enforced by the <see cref="Faults.FaultProxy"/> in
/// front of it. Each rule cites the AWS page it models. A rule may answer a request itself (a refusal the endpoint would
/// not give), observe what went through, or rewrite the endpoint's answer.
/// </summary>
public abstract class AwsRule
{
    /// <summary>
    /// Requests with the same lock key are handled one at a time, from <see cref="BeforeAsync"/> through the endpoint's
    /// answer to <see cref="After"/>, so a rule that checks and then lets a request through is atomic as AWS is. Null: no lock.
    /// </summary>
    public virtual string? LockKey(RuleRequest request) => null;

    /// <summary>The answer AWS would give instead of the endpoint's, or null to forward the request.</summary>
    public virtual ValueTask<RuleAnswer?> BeforeAsync(RuleRequest request) => ValueTask.FromResult<RuleAnswer?>(null);

    /// <summary>The endpoint's answer as AWS would give it (observe it, or return a rewritten one).</summary>
    public virtual RuleAnswer After(RuleRequest request, RuleAnswer answer) => answer;
}
