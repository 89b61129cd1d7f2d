using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using S3Fanout.Shared.Cli;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// Rewrites <see cref="FleetOptions.HealthFile"/> every few seconds: <c>status</c> is <c>ok</c>, <c>failing</c> (the
/// service cannot subscribe, or receiving notifications has failed for <see cref="FleetOptions.ReceiveFailingAfter"/>
/// without a success; <c>last_error</c> says why) or <c>stopped</c>, with counts and <c>updated_at</c>. A monitor treats a file older than
/// a minute as a dead service. Written atomically (temp file and rename).
/// </summary>
internal sealed class HealthFileWriter(MirrorCoordinator coordinator, FleetStatus status, IOptions<FleetOptions> options, ILogger<HealthFileWriter> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var path = options.Value.HealthFile;
        if (string.IsNullOrEmpty(path))
        {
            return;
        }
        try
        {
            while (true)
            {
                var receiving = status.ReceiveFailure(options.Value.ReceiveFailingAfter);
                Write(path, status.Failure is null && receiving is null ? "ok" : "failing", status.Failure?.Message ?? receiving);
                await Task.Delay(Interval, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Write(path, "stopped");
        }
    }

    private void Write(string path, string state, string? failure = null)
    {
        var health = coordinator.Health();
        var json = JsonOutput.Serialize(new HealthReport(state, DateTimeOffset.UtcNow, Environment.ProcessId,
            health.Active, health.Queued, health.Mirrored, health.Failed, failure ?? health.LastError), OutputJsonContext.Output.HealthReport);
        try
        {
            var temp = path + ".tmp";
            File.WriteAllText(temp, json);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Cannot write the health file {Path}: {Error}", path, e.Message);
        }
    }

    /// <summary>The health file's content, written with the project's JSON convention (snake_case).</summary>
    internal sealed record HealthReport(string Status, DateTimeOffset UpdatedAt, int Pid, int Active, int Queued, int Mirrored, int Failed, string? LastError);
}
