using Microsoft.Extensions.Options;
using S3Fanout.Shared.Cli;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>Checks the whole configuration at start; each failure names the setting and what must hold.</summary>
internal sealed class FleetOptionsValidator : IValidateOptions<FleetOptions>
{
    private static readonly ValueRange MaxConcurrentBroadcasts = new(1, 64);

    public ValidateOptionsResult Validate(string? name, FleetOptions options)
    {
        var errors = new List<string>();
        const string s = FleetOptions.Section;
        if (options.Channels.Count == 0)
        {
            errors.Add($"{s}:Channels is empty; configure at least one channel (Url and Sink)");
        }
        Range(errors, $"{s}:MaxConcurrentBroadcasts", options.MaxConcurrentBroadcasts, MaxConcurrentBroadcasts);
        Range(errors, $"{s}:Workers", options.Workers, OptionLimits.Workers);
        Range(errors, $"{s}:Tries", options.Tries, OptionLimits.Tries);
        if (string.IsNullOrWhiteSpace(options.StateDirectory))
        {
            errors.Add($"{s}:StateDirectory is empty");
        }
        if (options.LookBack < TimeSpan.Zero)
        {
            errors.Add($"{s}:LookBack must not be negative, got {options.LookBack}");
        }
        if (options.CatchUpFirstRerun < TimeSpan.FromSeconds(1) || options.CatchUpSecondRerun < options.CatchUpFirstRerun || options.CatchUpInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{s}:CatchUpFirstRerun and {s}:CatchUpInterval must be at least 1s, and {s}:CatchUpSecondRerun at least {s}:CatchUpFirstRerun");
        }
        if (options.ReceiveInterval < TimeSpan.Zero || options.ReceiveInterval > TimeSpan.FromSeconds(20))
        {
            errors.Add($"{s}:ReceiveInterval must be 0s-20s, got {options.ReceiveInterval}");
        }
        if (options.ReceiveFailingAfter < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{s}:ReceiveFailingAfter must be at least 1s, got {options.ReceiveFailingAfter}");
        }
        if (options.RequestTimeout < TimeSpan.FromMilliseconds(100) || options.TransferTimeout < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"{s}:RequestTimeout and {s}:TransferTimeout must be at least 100ms");
        }
        if (options.StallTimeout < TimeSpan.FromSeconds(1) || options.PollInterval < TimeSpan.FromMilliseconds(100) || options.ShutdownTimeout < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{s}:StallTimeout and {s}:ShutdownTimeout must be at least 1s, {s}:PollInterval at least 100ms");
        }
        if (options.EndpointUrl is not null && !Uri.TryCreate(options.EndpointUrl, UriKind.Absolute, out _))
        {
            errors.Add($"{s}:EndpointUrl '{options.EndpointUrl}' is not a URL");
        }
        if (options.OtlpEndpoint is not null && !Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out _))
        {
            errors.Add($"{s}:OtlpEndpoint '{options.OtlpEndpoint}' is not a URL");
        }
        if (options.OtlpProtocol is not ("http/protobuf" or "grpc"))
        {
            errors.Add($"{s}:OtlpProtocol must be http/protobuf or grpc, got '{options.OtlpProtocol}'");
        }
        for (var i = 0; i < options.Channels.Count; i++)
        {
            ValidateChannel(errors, $"{s}:Channels:{i}", options.Channels[i], options);
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateChannel(List<string> errors, string key, ChannelOptions channel, FleetOptions options)
    {
        if (!ChannelAddress.TryParse(channel.Url, out _, out var error))
        {
            errors.Add($"{key}:Url: {error}");
        }
        const string kinds = "directory, command or stdout";
        switch (channel.Sink.Kind)
        {
            case SinkType.Directory:
                if (string.IsNullOrWhiteSpace(channel.Sink.Path))
                {
                    errors.Add($"{key}:Sink:Path is required for a directory sink");
                }
                break;
            case SinkType.Command:
                if (string.IsNullOrWhiteSpace(channel.Sink.Command))
                {
                    errors.Add($"{key}:Sink:Command is required for a command sink");
                }
                if (channel.Sink.ExitTimeout < TimeSpan.FromSeconds(1) || channel.Sink.ExitTimeout > TimeSpan.FromDays(7))
                {
                    errors.Add($"{key}:Sink:ExitTimeout must be from 1s to 7 days, got {channel.Sink.ExitTimeout}");
                }
                break;
            case SinkType.Stdout:
                if (options.MaxConcurrentBroadcasts != 1 || options.Channels.Count(c => c.Sink.Kind == SinkType.Stdout) > 1)
                {
                    errors.Add($"{key}:Sink: a stdout sink needs {FleetOptions.Section}:MaxConcurrentBroadcasts = 1 and no other stdout channel");
                }
                break;
            case null when channel.Sink.Type.Length == 0:
                errors.Add($"{key}:Sink:Type is missing; use {kinds}");
                break;
            default:
                errors.Add($"{key}:Sink:Type '{channel.Sink.Type}' is unknown; use {kinds}");
                break;
        }
    }

    private static void Range(List<string> errors, string key, int value, ValueRange range)
    {
        if (!range.Contains(value))
        {
            errors.Add($"{key} must be {range}, got {value}");
        }
    }
}
