using System.CommandLine;
using Amazon.S3;
using S3Fanout.Shared.Aws;

namespace S3Fanout.Shared.Cli;

/// <summary>
/// <c>--sse AES256|aws:kms</c> and <c>--sse-kms-key-id KEY</c>, defined once for every command that writes objects
/// (publish, assemble, relay), and the one place they become <see cref="SseSettings"/>: a key without
/// <c>--sse aws:kms</c> is refused with exit 2.
/// </summary>
internal sealed class SseOptions
{
    /// <param name="what">What is encrypted, e.g. "encryption of the result".</param>
    /// <param name="byDefault">What a command given no --sse gets, e.g. "the broadcast's".</param>
    public SseOptions(string what, string byDefault)
    {
        Method = new Option<string?>("--sse") { Description = $"{what}: AES256 or aws:kms (default: {byDefault})" };
        Method.AcceptOnlyFromAmong(ServerSideEncryptionMethod.AES256.Value, ServerSideEncryptionMethod.AWSKMS.Value);
        KmsKeyId = new Option<string?>("--sse-kms-key-id") { Description = "KMS key for --sse aws:kms", HelpName = "KEY" };
    }

    public Option<string?> Method { get; }

    public Option<string?> KmsKeyId { get; }

    /// <summary>Both options, for a command to add.</summary>
    public Option[] All => [Method, KmsKeyId];

    /// <summary>The encryption asked for, or null for none (the bucket's default encryption, or the command's own default).</summary>
    public SseSettings? Read(ParseResult parse) => SseSettings.Parse(parse.GetValue(Method), parse.GetValue(KmsKeyId));
}
