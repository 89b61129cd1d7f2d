using System.Globalization;
using System.Text;
using System.Text.Json;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.Bench.Scale;

/// <summary>The scale run's results: a table on stdout, JSON at --out and Markdown beside it, as the other bench modes.</summary>
internal sealed class ScaleReport(BenchOptions o, ScaleSettings s, IReadOnlyList<ScaleResult> variants)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public void Write()
    {
        var markdown = Markdown();
        Console.WriteLine();
        Console.Write(markdown);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(o.Out))!);
        File.WriteAllText(o.Out, JsonSerializer.Serialize(Json(), Indented) + "\n");
        File.WriteAllText(Path.ChangeExtension(o.Out, ".md"), markdown);
        Console.WriteLine();
        Console.WriteLine($"JSON: {o.Out}");
        Console.WriteLine($"Markdown table: {Path.ChangeExtension(o.Out, ".md")}");
    }

    private Dictionary<string, object?> Json() => new()
    {
        ["schema"] = 1,
        ["mode"] = "scale",
        ["generated_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["product_commit"] = o.ProductCommit,
        ["settings"] = new Dictionary<string, object?>
        {
            ["subscribers"] = s.Subscribers,
            ["stream_bytes"] = s.StreamBytes,
            ["segment_kib"] = s.SegmentKiB,
            ["segments_per_second"] = s.SegmentsPerSecond,
            ["publisher"] = $"-m 1 --flush-interval {s.FlushInterval.TotalMilliseconds:0}ms, stdin written in {s.SegmentKiB} KiB chunks every {s.WriteInterval.TotalMilliseconds:0} ms",
            ["subscriber_workers"] = s.Workers,
            ["replicas"] = s.Replicas,
            ["relays"] = s.Relays,
            ["prefix_get_rate"] = s.PrefixGetRate,
            ["prefix_get_rate_basis"] = s.PrefixGetRateBasis,
            ["filter_policies_per_topic"] = s.FilterPoliciesPerTopic,
            ["subscribes_per_second"] = s.SubscribesPerSecond,
            ["nproc"] = Environment.ProcessorCount,
        },
        ["variants"] = variants.Select(VariantJson).ToList(),
        ["passed"] = variants.All(v => v.Passed),
    };

    private static Dictionary<string, object?> VariantJson(ScaleResult r)
    {
        var joins = r.JoinSeconds;
        var lags = r.FinishLagSeconds;
        return new Dictionary<string, object?>
        {
            ["name"] = r.Name,
            ["relays"] = r.Relays,
            ["passed"] = r.Passed,
            ["subscribers"] = r.Subscribers,
            ["segments"] = r.Segments,
            ["average_segment_kib"] = Round(r.Segments == 0 ? 0 : r.StreamBytes / 1024.0 / r.Segments, 1),
            ["identical"] = r.Identical,
            ["failed"] = r.Failed,
            ["errors"] = r.Errors.ToList(),
            ["publisher_exit"] = r.PublisherExit,
            ["publisher_stderr_tail"] = r.PublisherExit == 0 ? null : r.PublisherStderr,
            ["joined"] = joins.Count,
            ["join_s"] = Percentiles(joins),
            ["finish_after_publisher_s"] = Percentiles(lags),
            ["broadcast_s"] = Round(r.BroadcastSeconds),
            ["per_segment_and_subscriber"] = new Dictionary<string, object?>
            {
                ["s3_segment_gets"] = Round(r.PerSegmentAndSubscriber(r.SegmentGets), 4),
                ["s3_all_gets"] = Round(r.PerSegmentAndSubscriber(r.Counters.Requests.Where(p => p.Key.StartsWith("S3 GET", StringComparison.Ordinal)).Sum(p => p.Value)), 4),
                ["sns_publishes"] = Round(r.PerSegmentAndSubscriber(r.Counters.Count("Sns Publish")), 6),
                ["sqs_requests"] = Round(r.PerSegmentAndSubscriber(r.Counters.Total(AwsService.Sqs)), 4),
            },
            ["sns_publishes_per_segment"] = Round(r.Segments == 0 ? 0 : r.Counters.Count("Sns Publish") / (double)r.Segments, 4),
            ["sqs_requests_per_subscriber_second"] = Round(r.SqsPerSubscriberSecond, 3),
            ["requests_by_operation"] = r.Counters.Requests.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => (object)p.Value),
            ["slowdown_503_seen"] = r.Rules.SlowDowns,
            ["slowdown_503_absorbed"] = r.Failed == 0 ? r.Rules.SlowDowns : null,
            ["subscribe_throttled"] = r.Rules.Throttled,
            ["filter_policy_refusals"] = r.Rules.FilterPolicyRefusals,
            ["filter_policies_at_join"] = r.FilterPoliciesAtJoin,
            ["cpu_s"] = new Dictionary<string, object?>
            {
                ["harness"] = Round(r.HarnessCpuS),
                ["publisher"] = Round(r.PublisherCpuS),
                ["emulator"] = Round(r.EmulatorCpuS),
                ["relays"] = Round(r.RelayCpuS),
            },
            ["harness_peak_rss_mib"] = Round(r.HarnessPeakRssMiB, 0),
            ["relay"] = r.Relays == 0 ? null : new Dictionary<string, object?>
            {
                ["exit_codes"] = r.RelayExits,
                ["errors"] = r.RelayErrors,
                ["segment_gets_on_origin"] = r.SegmentBytesThroughRelays,
                ["copies_per_segment"] = Round(r.Segments == 0 ? 0 : r.Counters.Count("S3 COPY segment relay") / (double)r.Segments, 3),
                ["cpu_s"] = Round(r.RelayCpuS),
            },
        };
    }

    private string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine(Inv($"### Scale: {s.Subscribers} subscribers, {Report.SizeText(s.StreamBytes)} in {s.SegmentKiB} KiB segments at {s.SegmentsPerSecond}/s"));
        md.AppendLine();
        md.AppendLine(Inv($"Rules on at the proxy: {s.FilterPoliciesPerTopic} filter policies per topic, {s.SubscribesPerSecond} Subscribe calls/s, {s.PrefixGetRate:0.#} GET/s per prefix ({s.PrefixGetRateBasis}). ")
            + Inv($"{s.Subscribers} subscribers in one process ({s.Workers} workers each), each with its own queue and subscription; one publisher process. Commit {o.ProductCommit}, {Environment.ProcessorCount} cores."));
        md.AppendLine();
        md.AppendLine("| figure | " + string.Join(" | ", variants.Select(v => v.Name)) + " |");
        md.AppendLine("| --- |" + string.Concat(variants.Select(_ => " --- |")));
        void Row(string label, Func<ScaleResult, string> value) => md.AppendLine($"| {label} | " + string.Join(" | ", variants.Select(value)) + " |");
        Row("byte-identical (SHA-256 of each copy = the stream's)", r => Inv($"{r.Identical} of {r.Subscribers}{(r.Failed > 0 ? $" ({r.Failed} failed)" : "")}"));
        Row("segments (average size; the publisher seals what stdin gave it after the flush interval)", r => Inv($"{r.Segments} ({(r.Segments == 0 ? 0 : r.StreamBytes / 1024.0 / r.Segments):F0} KiB)"));
        Row("time to join, s (p50 / p99 / max)", r => Trio(r.JoinSeconds) + Inv($" ({r.JoinSeconds.Count} joined)"));
        Row("finish after the publisher's, s (p50 / p99 / max)", r => Trio(r.FinishLagSeconds));
        Row("broadcast length, s (first write → publisher exit)", r => Inv($"{r.BroadcastSeconds:F1}"));
        Row("S3 segment GETs per segment and subscriber (503-refused ones included)", r => Inv($"{r.PerSegmentAndSubscriber(r.SegmentGets):F3}"));
        Row("SNS publishes per segment (the relays' included)", r => Inv($"{(r.Segments == 0 ? 0 : r.Counters.Count("Sns Publish") / (double)r.Segments):F3}"));
        Row("SQS requests per segment and subscriber", r => Inv($"{r.PerSegmentAndSubscriber(r.Counters.Total(AwsService.Sqs)):F3}"));
        Row("SQS receives and deletes per subscriber per second of broadcast", r => Inv($"{r.SqsPerSubscriberSecond:F2}"));
        Row("503 SlowDown seen / absorbed", r => Inv($"{r.Rules.SlowDowns} / {(r.Failed == 0 ? r.Rules.SlowDowns.ToString(CultureInfo.InvariantCulture) : "not all")}"));
        Row("Subscribe Throttled / FilterPolicyLimitExceeded", r => Inv($"{r.Rules.Throttled} / {r.Rules.FilterPolicyRefusals}"));
        Row("CPU s: harness (subscribers + proxy) / publisher / emulator", r => Inv($"{r.HarnessCpuS:F1} / {r.PublisherCpuS:F1} / {r.EmulatorCpuS:F1}"));
        Row("harness peak RSS, MiB", r => Inv($"{r.HarnessPeakRssMiB:F0}"));
        if (variants.Any(v => v.Relays > 0))
        {
            Row("relays: CopyObject per segment (all relays) / segment GETs on the origin (target 0)", r => r.Relays == 0 ? "–"
                : Inv($"{(r.Segments == 0 ? 0 : r.Counters.Count("S3 COPY segment relay") / (double)r.Segments):F2} / {r.SegmentBytesThroughRelays}"));
            Row("relays: exit codes / CPU s", r => r.Relays == 0 ? "–" : Inv($"{string.Join(",", r.RelayExits.Distinct())} / {r.RelayCpuS:F1}"));
        }
        md.AppendLine();
        foreach (var v in variants.Where(v => !v.Passed))
        {
            md.AppendLine(Inv($"{v.Name}: publisher exit {v.PublisherExit}; subscriber errors: {string.Join("; ", v.Errors)}{(v.RelayErrors.Count > 0 ? "; relay errors: " + string.Join("; ", v.RelayErrors.Take(2)) : "")}"));
            md.AppendLine();
        }
        if (s.Relays == 0)
        {
            md.AppendLine("The relays variant was not run (--relays 0).");
            md.AppendLine();
        }
        return md.ToString();
    }

    private static Dictionary<string, object?> Percentiles(List<double> sorted) => new()
    {
        ["p50"] = Round(ScaleResult.Percentile(sorted, 0.50)),
        ["p99"] = Round(ScaleResult.Percentile(sorted, 0.99)),
        ["max"] = Round(ScaleResult.Percentile(sorted, 1.0)),
        ["count"] = sorted.Count,
    };

    private static string Trio(List<double> sorted) => sorted.Count == 0
        ? "none"
        : Inv($"{ScaleResult.Percentile(sorted, 0.5):F2} / {ScaleResult.Percentile(sorted, 0.99):F2} / {ScaleResult.Percentile(sorted, 1):F2}");

    private static double? Round(double v, int digits = 2) => double.IsFinite(v) ? Math.Round(v, digits) : null;

    private static string Inv(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
}
