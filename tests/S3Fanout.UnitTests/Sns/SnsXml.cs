namespace S3Fanout.UnitTests.Sns;

/// <summary>Response bodies shaped like SNS's documented examples.</summary>
internal static class SnsXml
{
    public const string Namespace = "http://sns.amazonaws.com/doc/2010-03-31/";

    public static string Publish(string messageId = "94f20ce6-13c5-43a0-9a9e-ca52d816e90b") => $"""
        <PublishResponse xmlns="{Namespace}">
          <PublishResult>
            <MessageId>{messageId}</MessageId>
          </PublishResult>
          <ResponseMetadata>
            <RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId>
          </ResponseMetadata>
        </PublishResponse>
        """;

    public static string Error(string type, string code, string message) => $"""
        <ErrorResponse xmlns="{Namespace}">
          <Error>
            <Type>{type}</Type>
            <Code>{code}</Code>
            <Message>{message}</Message>
          </Error>
          <RequestId>9dd01905-5012-5f99-8663-4b3ecd0dfaef</RequestId>
        </ErrorResponse>
        """;

    public static string Subscriptions(string? nextToken, params (string Arn, string Protocol, string Endpoint)[] members) => $"""
        <ListSubscriptionsByTopicResponse xmlns="{Namespace}">
          <ListSubscriptionsByTopicResult>
            <Subscriptions>
              {string.Concat(members.Select(m => $"<member><TopicArn>t</TopicArn><Protocol>{m.Protocol}</Protocol><SubscriptionArn>{m.Arn}</SubscriptionArn><Owner>1</Owner><Endpoint>{m.Endpoint}</Endpoint></member>"))}
            </Subscriptions>
            {(nextToken is null ? "" : $"<NextToken>{nextToken}</NextToken>")}
          </ListSubscriptionsByTopicResult>
        </ListSubscriptionsByTopicResponse>
        """;
}
