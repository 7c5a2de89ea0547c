namespace DrSentinel.Clients.Aws.Sts;

/// <summary>AWS STS over the Query protocol (regional: sts.{region}.amazonaws.com): who DrSentinel is to AWS.</summary>
public sealed class StsClient(AwsQueryClient query)
{
    public static readonly QueryApi Api = new("sts", "2011-06-15");

    /// <summary>GetCallerIdentity: the caller's ARN (a user, or an assumed role's session). No permission is needed.</summary>
    public async Task<string> CallerArnAsync(CancellationToken cancel) =>
        (await query.SendAsync(Api, "GetCallerIdentity", [], idempotent: true, cancel)).RequiredText("Arn");
}
