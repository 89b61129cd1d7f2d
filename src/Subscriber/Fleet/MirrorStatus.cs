using System.Text.Json.Serialization;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>Where a broadcast's mirror stands, as its <see cref="MirrorRecord"/> says.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MirrorStatus>))]
internal enum MirrorStatus
{
    /// <summary>Started and not finished: interrupted if no job runs it now.</summary>
    [JsonStringEnumMemberName("mirroring")] Mirroring,

    /// <summary>The whole stream verified and reached the sink.</summary>
    [JsonStringEnumMemberName("done")] Done,

    /// <summary>Gave up; <see cref="MirrorRecord.Detail"/> says why.</summary>
    [JsonStringEnumMemberName("failed")] Failed,
}
