using System.CommandLine;
using System.Globalization;
using System.CommandLine.Parsing;
using S3Fanout.Shared.Notifications;

namespace S3Fanout.Shared.Cli;

/// <summary>
/// The options more than one command takes, each defined once with s3pipe2's letter and its one range check. A
/// command adds only those it reads. System.CommandLine checks each value on its own here; rules that span several
/// values live in the command's options record (<c>PublisherOptions</c>, <c>SubscriberOptions</c>).
/// </summary>
internal static class CliOptions
{
    public const int DefaultWorkers = 4;
    public const int DefaultTries = 5;

    public static Option<int> Workers(string what) =>
        InRange(new Option<int>("-n", "--workers") { Description = $"{what}, {OptionLimits.Workers}", DefaultValueFactory = _ => DefaultWorkers, HelpName = "N" }, OptionLimits.Workers, "-n (workers)");

    public static Option<int> Tries(string what) =>
        InRange(new Option<int>("-t", "--tries") { Description = $"{what}, {OptionLimits.Tries}", DefaultValueFactory = _ => DefaultTries, HelpName = "N" }, OptionLimits.Tries, "-t (tries)");

    public static Option<string?> Staging(string what) => new("-p", "--staging-path") { Description = what, HelpName = "DIR" };

    public static Option<long> SegmentMiB(string what) =>
        InRange(new Option<long>("-m", "--segment-size") { Description = what, DefaultValueFactory = _ => 8, HelpName = "MIB" },
            OptionLimits.SegmentMiB, "-m (segment size in MiB; S3 stores at most 5 GiB in one PUT)");

    public static Option<int> BufferKb(string what) =>
        InRange(new Option<int>("-b", "--buffer-size") { Description = what, DefaultValueFactory = _ => 1024, HelpName = "KB" }, OptionLimits.BufferKb, "-b (buffer size in KB)");

    /// <summary><c>--replicas K</c>: read replicas of every segment besides the primary (publisher and relay).</summary>
    public static Option<int> Replicas() =>
        InRange(new Option<int>("--replicas") { Description = $"also store each segment under K replica prefixes for subscribers to spread their GETs over, {OptionLimits.Replicas}", DefaultValueFactory = _ => 0, HelpName = "K" },
            OptionLimits.Replicas, "--replicas");

    /// <summary><c>--identity NAME</c>: what picks this subscriber's read replica (default: the host name).</summary>
    public static Option<string?> Identity() =>
        new("--identity") { Description = "the name whose stable hash picks the read replica this subscriber reads (default: the host name)", HelpName = "NAME" };

    /// <summary><c>--sse</c> and <c>--sse-kms-key-id</c>: the encryption of what the command writes (publish, assemble, relay).</summary>
    public static SseOptions Sse(string what, string byDefault) => new(what, byDefault);

    public static Option<bool> Progress() =>
        new("--progress") { Description = "show live progress on stderr (default when stderr is a terminal; otherwise a line every 5 s)" };

    /// <summary><c>--transfer-timeout</c>: the no-progress limit of a segment upload or download.</summary>
    public static Option<TimeSpan> TransferTimeout() => Duration("--transfer-timeout",
        "abandon and retry a segment upload or download that moves no byte for this long",
        TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));

    /// <summary>A duration such as 250ms, 1s or 2m, between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public static Option<TimeSpan> Duration(string name, string what, TimeSpan defaultValue, TimeSpan min, TimeSpan max)
    {
        var option = new Option<TimeSpan>(name) { Description = what, DefaultValueFactory = _ => defaultValue, CustomParser = Durations.Parse, HelpName = "DURATION" };
        option.Validators.Add(r =>
        {
            // Only a value given and readable: the default is in range, and the parser names an unreadable one.
            if (Durations.TryParse(Token(r), out var value) && (value < min || value > max))
            {
                r.AddError($"{name} must be {Durations.Format(min)}-{Durations.Format(max)}, got {Token(r)}");
            }
        });
        return option;
    }

    /// <summary><c>--notify</c>, taking the lower-case names of <paramref name="accepted"/> (completed by the shell too).</summary>
    public static Option<NotifyMode> Notify(string what, NotifyMode defaultValue, params NotifyMode[] accepted) => Notify("--notify", what, defaultValue, accepted);

    /// <summary>An option named <paramref name="name"/> that takes a notification mode as <c>--notify</c> does (the relay's <c>--from-notify</c>).</summary>
    public static Option<NotifyMode> Notify(string name, string what, NotifyMode defaultValue, params NotifyMode[] accepted)
    {
        var names = accepted.Select(m => m.Name()).ToArray();
        var option = new Option<NotifyMode>(name) { Description = what, DefaultValueFactory = _ => defaultValue, HelpName = string.Join('|', names) };
        option.AcceptOnlyFromAmong(names);
        return option;
    }

    /// <summary>
    /// <c>--checksum crc64nvme|md5</c>: the integrity check every PUT carries (<see cref="Aws.WireChecksum"/>), CRC-64/NVME
    /// unless the endpoint has no flexible checksums.
    /// </summary>
    public static Option<Aws.WireChecksumMode> WireChecksum()
    {
        var option = new Option<Aws.WireChecksumMode>("--checksum")
        {
            Description = "integrity check on every PUT: crc64nvme (x-amz-checksum-crc64nvme; Content-MD5 instead once the endpoint shows it has no flexible checksums) or md5 (Content-MD5)",
            DefaultValueFactory = _ => Aws.WireChecksumMode.Crc64Nvme,
            HelpName = "crc64nvme|md5",
        };
        option.AcceptOnlyFromAmong(Aws.WireChecksum.Name(Aws.WireChecksumMode.Crc64Nvme), Aws.WireChecksum.Name(Aws.WireChecksumMode.Md5));
        return option;
    }

    /// <summary>
    /// An option this command does not take but users reach for (<c>serve -n</c>): hidden from help, and refused with
    /// one line saying where the setting lives instead, rather than silently ignored.
    /// </summary>
    public static Option<string> Refused(string name, string alias, string reason)
    {
        var option = new Option<string>(name, alias) { Hidden = true, Arity = ArgumentArity.ZeroOrOne };
        option.Validators.Add(r => r.AddError($"{name}: {reason}"));
        return option;
    }

    private static Option<T> InRange<T>(Option<T> option, ValueRange range, string what)
    {
        option.Validators.Add(r =>
        {
            // Only a value given and readable: the default is in range, and the parser names an unreadable one.
            if (long.TryParse(Token(r), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && !range.Contains(value))
            {
                r.AddError($"{what} must be {range}, got {value}");
            }
        });
        return option;
    }

    private static string Token(OptionResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
}
