namespace S3Fanout.Bench;

/// <summary>
/// Start-up: `--version` of each executable (wall), and the whole cost (CPU s) of publishing a 1-byte stream and of
/// subscribing to it into a pipe. Each is the median of 3 runs in the round (1 in quick mode).
/// </summary>
internal sealed partial class Stages
{
    private static readonly string[] StartupIds =
    [
        "startup.version.publisher", "startup.version.subscriber", "startup.version.awscli", "startup.publish_1b", "startup.subscribe_1b",
    ];

    private async Task StartupAsync(int round)
    {
        var prefix = $"startup/r{round + 1}";
        await Guard(StartupIds, prefix, async () =>
        {
            var repeat = O.Quick ? 1 : 3;
            var versions = new List<(string Id, string Command)>
            {
                ("startup.version.publisher", Dotnet(O.PublisherDll)),
                ("startup.version.subscriber", Dotnet(O.SubscriberDll)),
            };
            if (O.Aws is not null)
            {
                versions.Add(("startup.version.awscli", Shell.Q(O.Aws)));
            }
            else
            {
                Results.Omit(["startup.version.awscli"], O.AwsMissingReason ?? "/usr/bin/aws is not installed");
            }
            foreach (var (id, command) in versions)
            {
                var walls = new List<double>();
                var cpus = new List<double>();
                for (var i = 0; i < repeat; i++)
                {
                    var run = await ChildAsync($"exec {{time}}{command} --version > /dev/null 2> {{err}}", $"{id} --version", TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                    walls.Add(run.WallS * 1000);
                    cpus.Add(run.ClientCpuS);
                }
                Results.Set(round, id, Report.Median(walls));
                Results.AddEvidence(round, id, new Dictionary<string, object> { ["wall_ms"] = walls.Select(w => Math.Round(w, 1)).ToList(), ["cpu_s"] = cpus });
            }
            var url = $"s3://{Bucket}/{prefix}/one-byte";
            var pubCpu = new List<double>();
            var subCpu = new List<double>();
            for (var i = 0; i < repeat; i++)
            {
                var one = $"{url}-{i}";
                var pub = await PublishAsync(one, _tinyFile, "s3fanout-publish (1 byte)", TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                pubCpu.Add(pub.ClientCpuS);
                var sub = await SubscribeIntoPipeAsync(one, "s3fanout-subscribe (1 byte)", TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                subCpu.Add(sub.ClientCpuS);
                Results.AddEvidence(round, "startup.one_byte", new Dictionary<string, object> { ["publish"] = pub.ToJson(), ["subscribe"] = sub.ToJson() });
            }
            Results.Set(round, "startup.publish_1b", Report.Median(pubCpu));
            Results.Set(round, "startup.subscribe_1b", Report.Median(subCpu));
        }).ConfigureAwait(false);
    }
}
