using System.Globalization;
using System.Text;

namespace S3Fanout.Bench;

/// <summary>Every figure a run collected: one dictionary of metric → value per round, plus omissions and failures.</summary>
internal sealed class Results
{
    public List<Dictionary<string, double>> Rounds { get; } = [];
    public Dictionary<string, string> Omitted { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Failed { get; } = new(StringComparer.Ordinal);
    public List<Dictionary<string, object>> Evidence { get; } = [];

    public void Set(int round, string id, double value)
    {
        while (Rounds.Count <= round)
        {
            Rounds.Add(new Dictionary<string, double>(StringComparer.Ordinal));
        }
        Rounds[round][id] = value;
    }

    public void Fail(IEnumerable<string> ids, string why)
    {
        foreach (var id in ids)
        {
            Failed.TryAdd(id, why);
        }
    }

    public void Omit(IEnumerable<string> ids, string why)
    {
        foreach (var id in ids)
        {
            Omitted.TryAdd(id, why);
        }
    }

    public void AddEvidence(int round, string stage, Dictionary<string, object> figures)
    {
        var entry = new Dictionary<string, object> { ["round"] = round + 1, ["stage"] = stage };
        foreach (var (k, v) in figures)
        {
            entry[k] = v;
        }
        Evidence.Add(entry);
    }
}

/// <summary>A target: the row's value (or its ratio to the limit / to aws-cli) compared with a threshold.</summary>
internal sealed record Check(string On, bool AtLeast, double Threshold)
{
    public string Describe(string unit) => On switch
    {
        "limit" => $"{(AtLeast ? "≥" : "≤")} {Fmt(Threshold)}× limit",
        "awscli" => $"{(AtLeast ? "≥" : "≤")} {Fmt(Threshold)}× aws-cli",
        "growth" => $"≤ {Fmt(Threshold)}× the {unit} stream's",
        _ when unit == "×" => $"{(AtLeast ? "≥" : "≤")} {Fmt(Threshold)}×",
        _ => $"{(AtLeast ? "≥" : "≤")} {Fmt(Threshold)} {unit}",
    };

    public bool Passes(double v) => AtLeast ? v >= Threshold : v <= Threshold;

    private static string Fmt(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}

internal sealed record RowSpec(string Id, string Stage, string Label, string Unit, string? LimitRef = null, string? AwsRef = null, params Check[] Checks);

/// <summary>Builds the table (medians over rounds, ratios taken within each round), prints it and writes it as JSON/Markdown.</summary>
internal static class Report
{
    public static List<RowSpec> Specs(BenchOptions o)
    {
        var size = SizeText(o.SizeBytes);
        var memory = SizeText(o.MemoryBytes);
        var large = SizeText(o.LargeBytes);
        var mem = BenchOptions.MemoryTargetMiB;
        var growth = BenchOptions.MemoryGrowthTarget;
        var seg = $"{BenchOptions.SegmentMiB} MiB × {BenchOptions.Workers}";
        var n = BenchOptions.FanoutSubscribers;
        return
        [
            // The limit: per round, the fastest raw SDK request shape without Content-MD5 (the reference rows below).
            new("limit.put", "limit", $"raw SDK PutObject, {seg} in flight: the round's fastest shape", "MiB/s", "limit.put", "awscli.put"),
            new("limit.get", "limit", $"raw SDK GetObject, {seg} in flight, into a pipe: the round's fastest shape", "MiB/s", "limit.get", "awscli.get"),
            new("limit.fanout", "limit", $"{n} raw GET processes at once on the completed fan-out broadcast, each into sha256sum: bytes delivered/s", "MiB/s", "limit.fanout"),
            // The shapes, and Content-MD5 as the publisher sent it before CRC-64/NVME. Never a ratio's denominator.
            new("ref.put_unchunked", "reference", "raw PutObject, unchunked, no SDK MD5 (the publisher's shape)", "MiB/s", "limit.put", "awscli.put"),
            new("ref.put_sdk_default", "reference", "raw PutObject, SDK defaults (aws-chunked)", "MiB/s", "limit.put", "awscli.put"),
            new("ref.put_content_md5", "reference", "raw PutObject, unchunked, no SDK MD5, + Content-MD5", "MiB/s", "limit.put", "awscli.put"),
            new("ref.put_sdk_default_md5", "reference", "raw PutObject, SDK defaults + Content-MD5", "MiB/s", "limit.put", "awscli.put"),
            new("ref.put_crc64", "reference", "raw PutObject, unchunked, no SDK MD5, + x-amz-checksum-crc64nvme (the publisher's request)", "MiB/s", "limit.put", "awscli.put"),
            new("ref.get_range", "reference", "raw GetObject, whole-object byte range (the subscriber's shape), into a pipe", "MiB/s", "limit.get", "awscli.get"),
            new("ref.get_sdk_default", "reference", "raw GetObject, whole object, SDK defaults, into a pipe", "MiB/s", "limit.get", "awscli.get"),
            new("awscli.put", "peer", "aws-cli v2 s3 cp - s3://… (stdin)", "MiB/s", "limit.put", "awscli.put"),
            new("awscli.get", "peer", "aws-cli v2 s3 cp s3://… - | cat", "MiB/s", "limit.get", "awscli.get"),
            new("s3fanout.publish", "s3fanout", $"publish {size} file → manifest complete", "MiB/s", "limit.put", "awscli.put",
                new Check("limit", true, 0.9), new Check("awscli", true, 2.5)),
            new("s3fanout.publish.cpu", "s3fanout", $"publish {size}: client CPU s per GiB, start-up included", "CPU s/GiB", Checks: [new Check("value", false, 2.0)]),
            new("s3fanout.publish.crc_endpoint", "s3fanout", $"publish {size} through a proxy that checks and echoes CRC-64/NVME as S3 does (fauxqs does neither)", "MiB/s", "limit.put", "awscli.put"),
            new("s3fanout.publish.crc_endpoint.cpu", "s3fanout", "  its client CPU s per GiB, start-up included", "CPU s/GiB", Checks: [new Check("value", false, 2.0)]),
            new("s3fanout.subscribe", "s3fanout", $"subscribe {size} completed → stdout | cat", "MiB/s", "limit.get", "awscli.get",
                new Check("limit", true, 0.5), new Check("awscli", true, 3)),
            new("s3fanout.subscribe.cpu", "s3fanout", $"subscribe {size}: client CPU s per GiB, start-up included", "CPU s/GiB", Checks: [new Check("value", false, 1.2)]),
            new("startup.version.publisher", "start-up", "s3fanout-publish --version, wall", "ms", Checks: [new Check("value", false, 30)]),
            new("startup.version.subscriber", "start-up", "s3fanout-subscribe --version, wall", "ms", Checks: [new Check("value", false, 30)]),
            new("startup.version.awscli", "start-up", "aws --version, wall (the peer, for reference)", "ms"),
            new("startup.publish_1b", "start-up", "publish a 1-byte stream: CPU s of the whole run", "CPU s", Checks: [new Check("value", false, 0.2)]),
            new("startup.subscribe_1b", "start-up", "subscribe to it into a pipe: CPU s of the whole run", "CPU s", Checks: [new Check("value", false, 0.2)]),
            new("waiting.cpu", "waiting", "one-shot subscriber waiting for a broadcast that has not started", "CPU s/s", Checks: [new Check("value", false, 0.005)]),
            new("waiting.rss", "waiting", "its peak RSS (start-up included)", "MiB", Checks: [new Check("value", false, 60)]),
            new("serve.idle.cpu", "waiting", "idle `serve`, one channel, nothing to mirror", "CPU s/s", Checks: [new Check("value", false, 0.005)]),
            new("s3fanout.latency.p50", "latency", $"line stdin→stdout p50 (flush {o.FlushInterval.TotalMilliseconds:F0} ms)", "ms", Checks: [new Check("value", false, 300)]),
            new("s3fanout.latency.p99", "latency", $"line stdin→stdout p99 (flush {o.FlushInterval.TotalMilliseconds:F0} ms)", "ms", Checks: [new Check("value", false, 1000)]),
            new("s3fanout.latency_low.p50", "latency", "the same, low-latency settings (--notify-window 0s, --receive-interval 0s): p50", "ms", Checks: [new Check("value", false, 300)]),
            new("s3fanout.latency_low.p99", "latency", "the same, low-latency settings: p99", "ms", Checks: [new Check("value", false, 1000)]),
            new("s3fanout.fanout.aggregate", "fan-out", $"live: 1 pub + {n} subs, {SizeText(o.FanoutBytes)}, each into sha256sum: bytes delivered/s", "MiB/s", "limit.fanout", Checks: [new Check("limit", true, 0.8)]),
            new("s3fanout.fanout.lag", "fan-out", "slowest subscriber done − publisher done", "s", Checks: [new Check("value", false, 2)]),
            new("s3fanout.fanout.publisher_ratio", "fan-out", $"publisher with {n} live subscribers ÷ alone, same stream", "×", Checks: [new Check("value", true, 0.5)]),
            new("s3fanout.fanout.finish_ratio", "fan-out", "slowest subscriber's finish ÷ publisher's", "×"),
            new("s3fanout.fanout.identical", "fan-out", "subscribers byte-identical (SHA-256)", $"of {n}", Checks: [new Check("value", true, n)]),
            new("s3fanout.fanout_low.lag", "fan-out", "the same with the low-latency settings: slowest subscriber done − publisher done", "s", Checks: [new Check("value", false, 2)]),
            new("s3fanout.fanout_low.identical", "fan-out", "the same with the low-latency settings: byte-identical", $"of {n}", Checks: [new Check("value", true, n)]),
            new("s3fanout.memory.publish.base", "memory", $"publisher peak RSS, {memory}", "MiB", Checks: [new Check("value", false, mem)]),
            new("s3fanout.memory.publish.large", "memory", $"publisher peak RSS, {large}", "MiB", Checks: [new Check("value", false, mem)]),
            new("s3fanout.memory.publish.growth", "memory", $"publisher RSS {large} ÷ {memory}", "×", Checks: [new Check("growth", false, growth)]),
            new("s3fanout.memory.subscribe.base", "memory", $"subscriber peak RSS, {memory}", "MiB", Checks: [new Check("value", false, mem)]),
            new("s3fanout.memory.subscribe.large", "memory", $"subscriber peak RSS, {large}", "MiB", Checks: [new Check("value", false, mem)]),
            new("s3fanout.memory.subscribe.growth", "memory", $"subscriber RSS {large} ÷ {memory}", "×", Checks: [new Check("growth", false, growth)]),
        ];
    }

    public static string SizeText(long bytes) => bytes >= 1L << 30 && bytes % (1L << 30) == 0
        ? $"{bytes >> 30} GiB"
        : $"{bytes >> 20} MiB";

    /// <param name="CpuPerGib">Median client CPU seconds per GiB of a throughput row (start-up included for the executables).</param>
    public sealed record Row(RowSpec Spec, string Status, double? Value, List<double> Samples, double? VsLimit, double? VsAws, string Target, string Verdict, string? Note, double? CpuPerGib = null);

    public static List<Row> Build(BenchOptions o, Results results)
    {
        var rows = new List<Row>();
        foreach (var spec in Specs(o))
        {
            var samples = results.Rounds.Where(r => r.ContainsKey(spec.Id)).Select(r => r[spec.Id]).ToList();
            var target = spec.Checks.Length == 0 ? "" : string.Join(", ", spec.Checks.Select(c => c.Describe(c.On == "growth" ? SizeText(o.MemoryBytes) : spec.Unit)));
            if (results.Omitted.TryGetValue(spec.Id, out var omitted))
            {
                rows.Add(new Row(spec, "omitted", null, [], null, null, target, "OMITTED", omitted));
                continue;
            }
            if (samples.Count == 0)
            {
                var why = results.Failed.GetValueOrDefault(spec.Id, "no measurement");
                rows.Add(new Row(spec, "failed", null, [], null, null, target, "FAILED", why));
                continue;
            }
            var value = Median(samples);
            var vsLimit = Ratio(results, spec.Id, spec.LimitRef);
            var vsAws = Ratio(results, spec.Id, spec.AwsRef);
            var verdict = "";
            var notes = new List<string>();
            if (results.Failed.TryGetValue(spec.Id, out var partialFailure))
            {
                notes.Add($"some rounds failed: {partialFailure}");
            }
            if (spec.Checks.Length > 0)
            {
                var outcomes = spec.Checks.Select(c => c.On switch
                {
                    "limit" => vsLimit is { } l ? c.Passes(l) : (bool?)null,
                    "awscli" => vsAws is { } a ? c.Passes(a) : null,
                    _ => c.Passes(value),
                }).ToList();
                if (outcomes.Any(x => x == false))
                {
                    verdict = "MISS";
                }
                else if (outcomes.Any(x => x is null))
                {
                    verdict = "PARTIAL";
                    notes.Add("a reference it is compared with was omitted");
                }
                else
                {
                    verdict = "PASS";
                }
            }
            var cpu = results.Rounds.Where(r => r.ContainsKey(spec.Id + ".cpu")).Select(r => r[spec.Id + ".cpu"]).ToList();
            rows.Add(new Row(spec, "ok", value, samples, vsLimit, vsAws, target, verdict, notes.Count > 0 ? string.Join("; ", notes) : null, cpu.Count > 0 ? Median(cpu) : null));
        }
        return rows;
    }

    /// <summary>Median over rounds of (value ÷ reference) taken within the same round, so slow and fast moments of a noisy machine cancel.</summary>
    private static double? Ratio(Results results, string id, string? reference)
    {
        if (reference is null)
        {
            return null;
        }
        var ratios = results.Rounds
            .Where(r => r.ContainsKey(id) && r.TryGetValue(reference, out var d) && d > 0)
            .Select(r => r[id] / r[reference])
            .ToList();
        return ratios.Count == 0 ? null : Median(ratios);
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var s = values.Order().ToList();
        var n = s.Count;
        return n % 2 == 1 ? s[n / 2] : (s[(n / 2) - 1] + s[n / 2]) / 2;
    }

    public static string Num(double? v, string unit = "")
    {
        if (v is not { } x)
        {
            return "—";
        }
        var text = unit switch
        {
            "ms" or "MiB/s" or "MiB" => x.ToString("0.0", CultureInfo.InvariantCulture),
            "CPU s/s" => x.ToString("0.0000", CultureInfo.InvariantCulture),
            "s" => x.ToString("0.00", CultureInfo.InvariantCulture),
            _ when unit.StartsWith("of ", StringComparison.Ordinal) => x.ToString("0", CultureInfo.InvariantCulture),
            _ => x.ToString("0.00", CultureInfo.InvariantCulture),
        };
        return unit switch
        {
            "" => text,
            "×" => text + "×",
            _ => $"{text} {unit}",
        };
    }

    private static string CpuText(Row r) => r.CpuPerGib is { } c ? c.ToString("0.00", CultureInfo.InvariantCulture) : "";

    private static string RatioText(double? r) => r is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "—";

    private static string Cell(Row row, string what) => what switch
    {
        "value" => row.Status switch
        {
            "ok" => Num(row.Value, row.Spec.Unit),
            _ => row.Status,
        },
        "samples" => row.Samples.Count > 1 ? string.Join(" / ", row.Samples.Select(s => Num(s, ""))) : "",
        _ => "",
    };

    public static string Text(List<Row> rows)
    {
        var header = new[] { "stage", "figure", "median", "vs limit", "vs aws-cli", "client CPU s/GiB", "target", "verdict", "runs" };
        var table = rows.Select(r => new[]
        {
            r.Spec.Stage, r.Spec.Label, Cell(r, "value"), RatioText(r.VsLimit), RatioText(r.VsAws), CpuText(r), r.Target, r.Verdict,
            r.Status == "ok" ? Cell(r, "samples") : r.Note ?? "",
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, table.Max(t => t[i].Length))).ToArray();
        var sb = new StringBuilder();
        void Line(string[] cells) => sb.AppendLine(string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToArray());
        table.ForEach(Line);
        return sb.ToString();
    }

    public static string Markdown(List<Row> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| stage | figure | median | vs limit | vs aws-cli | client CPU s/GiB | target | verdict | runs |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- |");
        foreach (var r in rows)
        {
            var runs = r.Status == "ok" ? Cell(r, "samples") : r.Note ?? "";
            sb.AppendLine($"| {r.Spec.Stage} | {r.Spec.Label.Replace("|", "\\|", StringComparison.Ordinal)} | {Cell(r, "value")} | {RatioText(r.VsLimit)} | {RatioText(r.VsAws)} | {CpuText(r)} | {r.Target} | {r.Verdict} | {runs.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }
        return sb.ToString();
    }

    public static Dictionary<string, object?> Json(List<Row> rows) => rows.ToDictionary(r => r.Spec.Id, r => (object?)new Dictionary<string, object?>
    {
        ["stage"] = r.Spec.Stage,
        ["label"] = r.Spec.Label,
        ["unit"] = r.Spec.Unit,
        ["status"] = r.Status,
        ["value"] = r.Value is { } v ? Math.Round(v, 3) : null,
        ["samples"] = r.Samples.Select(s => Math.Round(s, 3)).ToList(),
        ["vs_limit"] = r.VsLimit is { } l ? Math.Round(l, 3) : null,
        ["vs_awscli"] = r.VsAws is { } a ? Math.Round(a, 3) : null,
        ["client_cpu_s_per_gib"] = r.CpuPerGib is { } c ? Math.Round(c, 3) : null,
        ["target"] = r.Target,
        ["verdict"] = r.Verdict,
        ["note"] = r.Note,
    });
}
