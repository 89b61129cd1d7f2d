using System.CommandLine;
using S3Fanout.Shared;
using S3Fanout.Shared.Assembly;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Cli;

namespace S3Fanout.Subscriber.Archive;

/// <summary>
/// <c>s3fanout-subscribe assemble s3://bucket/name s3://bucket2/key</c>: one ordinary object from a complete broadcast,
/// copied together by S3 (see <see cref="Assembler"/>).
/// </summary>
internal sealed class AssembleCommand : ArchiveCommand
{
    private readonly Option<int> _workers = CliOptions.Workers("parts copied or uploaded at once");
    private readonly Option<int> _tries = CliOptions.Tries("attempts per part");
    private readonly Argument<string> _url = ArchiveCli.BroadcastArgument("to assemble");
    private readonly Argument<string> _destination = new("destination") { Description = "the object to write: s3://bucket/key" };
    private readonly Option<TimeSpan> _wait = CliOptions.Duration("--wait", "assemble an open broadcast once it completes, waiting at most this long (default: refuse it)",
        TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromDays(7));
    private readonly Option<bool> _force = new("--force") { Description = "replace an existing object at the destination" };
    private readonly Option<bool> _verifyDownload = new("--verify-download") { Description = "also stream the result back and check its SHA-256" };
    private readonly SseOptions _sse = CliOptions.Sse("encryption of the result", "the broadcast's");
    private readonly Option<bool> _json = ArchiveCli.JsonOption("the result");

    public AssembleCommand()
    {
        Epilog = HelpText.Describe(
            "Build one ordinary S3 object from a complete broadcast, which any S3 client, presigned URL or CDN then reads as\n"
            + "the stream. S3 copies the segments into the parts of a multipart upload (UploadPartCopy); only segments smaller\n"
            + "than a part (at least 5 MiB) and the bytes that pad them are downloaded and uploaded. S3's CRC-64/NVME of every\n"
            + "part, folded, must equal the stream's before the upload is completed, and the completed object's full-object\n"
            + "CRC-64/NVME must equal it too; any failure aborts the upload. The destination is written only if no object is\n"
            + "there, unless --force. Exits 3 for a missing broadcast or an existing destination, 7 when the data does not\n"
            + "match, 8 for an open (without --wait) or aborted broadcast.",
            "s3fanout-subscribe assemble s3://bucket/backups/etc.tar s3://archive/etc.tar",
            "s3fanout-subscribe assemble --wait 2h s3://bucket/dumps/mydb s3://archive/mydb.dump",
            "s3fanout-subscribe assemble --verify-download --json s3://bucket/logs/app s3://archive/app.log");
        Command = ArchiveCli.Define("assemble", Summary, Common, _url, _wait, _force, _verifyDownload, _sse.Method, _sse.KmsKeyId, _json, _workers, _tries);
        Command.Arguments.Add(_destination);
    }

    private const string Summary = "Build one ordinary S3 object from a complete broadcast, copied server-side and checked by CRC.";

    public override async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        var source = ArchiveCli.ParseBroadcast(parse.GetRequiredValue(_url));
        var destination = ArchiveCli.ParseBroadcast(parse.GetRequiredValue(_destination));
        var target = new AssemblyTarget(destination.Bucket, destination.Prefix, _sse.Read(parse),
            parse.GetValue(_force), parse.GetValue(_verifyDownload), parse.GetValue(_workers));
        using var host = Common.BuildHost(parse, parse.GetValue(_tries), parse.GetValue(_workers) * 2);
        var run = AssemblyRun.FromServices(host.Services, parse.GetValue(_tries));
        AssemblyResult result;
        try
        {
            result = await run.RunAsync(source, target, parse.GetValue(_wait), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not FatalException and not OperationCanceledException)
        {
            throw AwsErrors.ToFatal(e, $"cannot assemble {source} into {target}");
        }
        if (parse.GetValue(_json))
        {
            await ArchiveCli.WriteJsonAsync(result, OutputJsonContext.Output.AssemblyResult, ct).ConfigureAwait(false);
        }
        else
        {
            await ArchiveCli.WriteAsync(
                $"assembled {source} into {result.Destination}: {ArchiveCli.Bytes(result.Bytes)} bytes in {result.Parts} parts "
                + $"({result.CopiedParts} copied by S3, {ArchiveCli.Bytes(result.DownloadedBytes)} bytes downloaded), CRC-64/NVME {result.Crc64Nvme}, verified by {result.VerifiedBy}\n", ct).ConfigureAwait(false);
        }
        return ExitCodes.Ok;
    }
}
