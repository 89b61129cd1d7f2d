using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using S3Fanout.Shared.Archive;
using S3Fanout.Shared.Aws;
using S3Fanout.Shared.Aws.Sns;

namespace S3Fanout.Shared.Cli;

/// <summary>
/// The composition root. Every command (publish, subscribe, ls, info, verify, rm, cleanup-queues, serve) gets its
/// services from a host built here, the same way: logging (<see cref="LogSetup"/>), the AWS connection, the SNS
/// client, <see cref="TimeProvider"/>, the archive store (<see cref="BroadcastStore"/>, which carries the resilience
/// pipeline for S3 calls: -t attempts, --request-timeout each) and metrics. <c>serve</c> adds its hosted services to
/// the builder and runs the host; the other commands only resolve services from it.
/// </summary>
/// <remarks>
/// Building costs no AWS call and no credential lookup: each service is created the first time a command asks for
/// it, after the command has checked its arguments. Disposing the host disposes the clients and flushes the logs.
/// --help, --version and shell completion never build one.
/// </remarks>
internal static class S3FanoutHost
{
    public static HostApplicationBuilder CreateBuilder(AwsSettings aws, LogSettings logging)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        LogSetup.Configure(builder.Logging, logging);
        var services = builder.Services;
        services.AddSingleton(aws);
        services.AddSingleton(OpenConnection);
        services.AddSingleton(s => s.GetRequiredService<AwsConnection>().CreateSns(s.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<ISnsClient>(s => s.GetRequiredService<SnsClient>());
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(s => new BroadcastStore(s.GetRequiredService<AwsConnection>().S3, aws.Tries, aws.RequestTimeout,
            s.GetRequiredService<ILogger<BroadcastStore>>(), s.GetRequiredService<TimeProvider>()));
        // The S3Fanout meter (S3FanoutMetrics) is static; IMeterFactory is here for listeners and exporters.
        services.AddMetrics();
        return builder;
    }

    private static AwsConnection OpenConnection(IServiceProvider services)
    {
        var settings = services.GetRequiredService<AwsSettings>();
        if (settings.AccessKey is not null)
        {
            services.GetRequiredService<ILogger<AwsConnection>>().LogWarning(
                "Keys given with -a/-s are visible to other users of this machine; prefer AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile");
        }
        return AwsConnection.Open(settings);
    }
}
