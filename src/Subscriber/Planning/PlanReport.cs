using System.Text.Json.Nodes;
using System.Globalization;
using System.Text;

namespace S3Fanout.Subscriber.Planning;

/// <summary>A <see cref="CapacityPlan"/> as the text table <c>plan</c> prints, or as its JSON document.</summary>
internal static class PlanReport
{
    public static string Text(CapacityPlan plan)
    {
        var i = plan.Inputs;
        var sources = new List<string>();
        string Ref(string url)
        {
            if (!sources.Contains(url))
            {
                sources.Add(url);
            }
            return Invariant($"[{sources.IndexOf(url) + 1}]");
        }
        var text = new StringBuilder();
        text.AppendLine(Invariant($"{i.BytesPerSecond / 1e6:#,0.##} MB/s in {i.SegmentMiB} MiB segments = {i.SegmentsPerSecond:#,0.##} segments/s; {i.Subscribers:#,0} subscribers; replicas {i.Replicas}; relays {i.Relays}; notify window {i.NotifyWindow.TotalMilliseconds:0} ms"));
        text.AppendLine();
        foreach (var line in plan.Lines)
        {
            text.AppendLine(Invariant($"{(line.Over ? "OVER" : "OK"),-4}  {line.Component}: {Number(line.Value)} {line.Unit}  (quota: {line.Quota.Text} {Ref(line.Quota.Source)})"));
        }
        text.AppendLine();
        text.AppendLine(Invariant($"Dollars an hour (us-east-1, prices looked up {PriceTable.LookedUp}):"));
        foreach (var cost in plan.Costs)
        {
            var price = Invariant($"${cost.Price.Dollars} per {cost.Price.PerUnits:#,0} {Ref(cost.Price.Source)}");
            text.AppendLine(Invariant($"  {cost.Price.Item,-40} {Number(cost.UnitsPerHour),13} × {price,-24} = ${cost.DollarsPerHour,9:#,0.00}"));
        }
        text.AppendLine(Invariant($"  {"total",-40} {"",13}   {"",-24}   ${plan.DollarsPerHour,9:#,0.00}"));
        var suggestions = plan.Suggestions();
        if (suggestions.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Suggested:");
            foreach (var s in suggestions)
            {
                text.AppendLine("  " + s);
            }
        }
        text.AppendLine();
        for (var n = 0; n < sources.Count; n++)
        {
            text.AppendLine(Invariant($"[{n + 1}] {sources[n]}"));
        }
        return text.ToString();
    }

    /// <summary>The plan as <c>plan --json</c> prints it; built as a JSON tree (no reflection: Native AOT).</summary>
    public static JsonObject Json(CapacityPlan plan)
    {
        var i = plan.Inputs;
        return new JsonObject
        {
            ["inputs"] = new JsonObject
            {
                ["bytes_per_second"] = i.BytesPerSecond,
                ["segment_mib"] = i.SegmentMiB,
                ["segments_per_second"] = Math.Round(i.SegmentsPerSecond, 4),
                ["subscribers"] = i.Subscribers,
                ["replicas"] = i.Replicas,
                ["relays"] = i.Relays,
                ["notify_window_ms"] = i.NotifyWindow.TotalMilliseconds,
            },
            ["lines"] = new JsonArray([.. plan.Lines.Select(l => new JsonObject
            {
                ["component"] = l.Component,
                ["value"] = Math.Round(l.Value, 4),
                ["unit"] = l.Unit,
                ["limit"] = double.IsFinite(l.Quota.Limit) ? l.Quota.Limit : null,
                ["status"] = l.Over ? "OVER" : "OK",
                ["quota"] = l.Quota.Text,
                ["source"] = l.Quota.Source,
            })]),
            ["costs"] = new JsonArray([.. plan.Costs.Select(c => new JsonObject
            {
                ["item"] = c.Price.Item,
                ["units_per_hour"] = Math.Round(c.UnitsPerHour, 2),
                ["price_dollars"] = c.Price.Dollars,
                ["per_units"] = c.Price.PerUnits,
                ["dollars_per_hour"] = Math.Round(c.DollarsPerHour, 4),
                ["source"] = c.Price.Source,
                ["looked_up"] = c.Price.LookedUp,
            })]),
            ["dollars_per_hour"] = Math.Round(plan.DollarsPerHour, 4),
            ["fits"] = plan.Lines.All(l => !l.Over),
            ["suggestions"] = new JsonArray([.. plan.Suggestions().Select(s => (JsonNode)s)]),
        };
    }

    private static string Number(double v) => v.ToString(v >= 100 ? "#,0" : "#,0.##", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
