namespace S3Fanout.Subscriber.Planning;

/// <summary>One price of the table: what it costs, per how many units, and where and when it was read.</summary>
internal sealed record Price(string Item, decimal Dollars, long PerUnits, string Source, string LookedUp)
{
    /// <summary>Dollars for <paramref name="units"/> units (requests, publishes, GB).</summary>
    public decimal For(double units) => Dollars * (decimal)units / PerUnits;
}

/// <summary>
/// The prices the plan uses, us-east-1, in this one place. Each names the AWS pricing page it comes from and the date it
/// was looked up; AWS's pricing pages render their figures with scripts, so each figure was also checked against a
/// page that quotes it (named in the comment).
/// </summary>
internal static class PriceTable
{
    public const string LookedUp = "2026-12-05";

    /// <summary>S3 Standard GET, SELECT and all other requests (also c3x.dev/blog/s3-request-fees-explained: "GET is $0.0004/1K").</summary>
    public static readonly Price S3Get = new("S3 GET", 0.0004m, 1_000, "https://aws.amazon.com/s3/pricing/", LookedUp);

    /// <summary>S3 Standard PUT, COPY, POST, LIST requests; a CopyObject is billed as one (same page and quote: "PUT is $0.005/1K").</summary>
    public static readonly Price S3Put = new("S3 PUT/COPY", 0.005m, 1_000, "https://aws.amazon.com/s3/pricing/", LookedUp);

    /// <summary>SQS standard queue requests, first 100 billion a month (also cloudburn.io/blog/amazon-sqs-pricing: "$0.40/M").</summary>
    public static readonly Price SqsRequest = new("SQS request", 0.40m, 1_000_000, "https://aws.amazon.com/sqs/pricing/", LookedUp);

    /// <summary>SNS standard topic publishes; deliveries to SQS queues cost nothing at SNS (also factualminds.com: "Standard topic publish is $0.50/M").</summary>
    public static readonly Price SnsPublish = new("SNS publish", 0.50m, 1_000_000, "https://aws.amazon.com/sns/pricing/", LookedUp);

    /// <summary>
    /// S3 to EC2 in the same region: "There is no Data Transfer charge for data transferred between Amazon EC2 and Amazon
    /// S3 within the same Region" (S3 FAQ).
    /// </summary>
    public static readonly Price TransferSameRegion = new("S3 → EC2 transfer, same region (per GB)", 0m, 1, "https://aws.amazon.com/s3/faqs/", LookedUp);

    public static IReadOnlyList<Price> All { get; } = [S3Get, S3Put, SqsRequest, SnsPublish, TransferSameRegion];
}
