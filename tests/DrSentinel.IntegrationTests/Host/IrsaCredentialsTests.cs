using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Host;

/// <summary>
/// IRSA as EKS sets it up: a projected service-account token and a role ARN in the environment, no keys. The SDK's
/// default chain (AWSSDK.SecurityToken) trades the token for temporary keys at STS, here the sandbox's.
/// </summary>
public sealed class IrsaCredentialsTests
{
    private static readonly string[] AwsSources = ["aws_autoscaling", "aws_rds", "aws_elasticache", "aws_snapshots"];

    [Fact]
    public async Task WebIdentityEnvironment_GetsTemporaryKeysFromSts_AndEverySourceRefreshes()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var token = Path.GetTempFileName();
        await File.WriteAllTextAsync(token, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZHI6ZHJzZW50aW5lbCJ9.c2lnbmF0dXJl");
        try
        {
            await using var host = await DrSentinelHost.StartAsync(sandbox, new Dictionary<string, string>
            {
                ["AWS_WEB_IDENTITY_TOKEN_FILE"] = token,
                ["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/drsentinel",
                ["AWS_ROLE_SESSION_NAME"] = "drsentinel-test",
                ["AWS_REGION"] = sandbox.Region.Name,
                ["AWS_ENDPOINT_URL_STS"] = sandbox.Endpoint.ToString(),
            });

            var samples = await host.ScrapeAsync();

            Assert.All(AwsSources, source => Assert.Equal(1, samples.Value("drsentinel_source_up", ("source", source))));
            Assert.True(sandbox.State(r => r.ApiCalls.GetValueOrDefault("sts:AssumeRoleWithWebIdentity")) >= 1, host.Log);
            Assert.True(sandbox.State(r => r.ApiCalls.GetValueOrDefault("ec2:DescribeSubnets")) >= 1, "EC2 signed with the same temporary keys");
        }
        finally
        {
            File.Delete(token);
        }
    }
}
