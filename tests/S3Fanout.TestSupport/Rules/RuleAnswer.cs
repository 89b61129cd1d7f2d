using System.Globalization;
using System.Security;
using System.Text;
using System.Text.Json.Nodes;
using S3Fanout.TestSupport.Faults;

namespace S3Fanout.TestSupport.Rules;

/// <summary>An HTTP answer: the endpoint's, or one a rule gives in AWS's place.</summary>
public sealed record RuleAnswer(HttpHead Head, byte[] Body)
{
    public int Status => Head.StatusCode;

    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>
    /// An error as each service frames it: S3's XML <c>Error</c>, SNS's Query API <c>ErrorResponse</c> (with
    /// <c>Type</c> Sender for 4xx), and SQS's JSON protocol <c>__type</c>. The SDKs classify by these codes.
    /// </summary>
    public static RuleAnswer Error(AwsService service, int status, string code, string message, bool bodiless = false)
    {
        var requestId = "rule" + Guid.NewGuid().ToString("N")[..12];
        var escaped = SecurityElement.Escape(message);
        var (contentType, text) = service switch
        {
            AwsService.Sqs => ("application/x-amz-json-1.0", new JsonObject { ["__type"] = "com.amazonaws.sqs#" + code, ["message"] = message }.ToJsonString()),
            AwsService.Sns => ("text/xml", $"<ErrorResponse><Error><Type>{(status < 500 ? "Sender" : "Receiver")}</Type><Code>{code}</Code><Message>{escaped}</Message></Error><RequestId>{requestId}</RequestId></ErrorResponse>"),
            _ => ("application/xml", $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{escaped}</Message><RequestId>{requestId}</RequestId></Error>"),
        };
        var body = bodiless ? [] : Encoding.UTF8.GetBytes(text);
        var head = new HttpHead(string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {Reason(status)}"), [
            new("Content-Type", contentType),
            new("x-amz-request-id", requestId),
            new("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture)),
        ]);
        if (service == AwsService.Sqs)
        {
            // The SQS JSON protocol also names the error in this header; the SDK reads either.
            head.Set("x-amzn-query-error", code + ";Sender");
        }
        return new RuleAnswer(head, body);
    }

    private static string Reason(int status) => status switch
    {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Error",
    };
}
