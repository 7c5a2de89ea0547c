using System.Xml.Linq;
using Amazon.Runtime;
using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Aws;

/// <summary>The Query client signs with exactly the credentials it resolved, even when they change between two resolutions.</summary>
public sealed class SigningTests
{
    /// <summary>Hands out the two credential sets in turn, as a provider does around a refresh.</summary>
    private sealed class RotatingCredentials(ImmutableCredentials first, ImmutableCredentials second) : AWSCredentials
    {
        private int _calls;

        public override ImmutableCredentials GetCredentials() => Interlocked.Increment(ref _calls) % 2 == 1 ? first : second;

        public override Task<ImmutableCredentials> GetCredentialsAsync() => Task.FromResult(GetCredentials());
    }

    /// <summary>Temporary credentials (with a session token) from the sandbox's STS, as IRSA gets them.</summary>
    private static async Task<ImmutableCredentials> AssumeRoleAsync(Uri sandbox)
    {
        using var http = new HttpClient();
        var answer = await http.PostAsync(sandbox, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Action"] = "AssumeRoleWithWebIdentity", ["Version"] = "2011-06-15", ["RoleArn"] = "arn:aws:iam::123456789012:role/drsentinel",
            ["RoleSessionName"] = "signing-test", ["WebIdentityToken"] = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2ln",
        }));
        answer.EnsureSuccessStatusCode();
        var credentials = XElement.Parse(await answer.Content.ReadAsStringAsync()).Descendants().Single(e => e.Name.LocalName == "Credentials");
        string Text(string name) => credentials.Elements().Single(e => e.Name.LocalName == name).Value;
        return new ImmutableCredentials(Text("AccessKeyId"), Text("SecretAccessKey"), Text("SessionToken"));
    }

    [Fact]
    public async Task SendAsync_CredentialsChangeBetweenResolutions_EveryRequestIsSignedWithTheKeyItsTokenBelongsTo()
    {
        await using var sandbox = await Sandboxes.StartAsync();
        var temporary = await AssumeRoleAsync(sandbox.Endpoint);
        var permanent = new ImmutableCredentials(sandbox.Options.AccessKeyId, sandbox.Options.SecretAccessKey, null);
        using var aws = new AwsClients(sandbox, maxAttempts: 1, credentials: new RotatingCredentials(temporary, permanent));

        for (var call = 0; call < 6; call++)
            Assert.NotEmpty(await aws.Rds.DescribeDbInstancesAsync(null, CancellationToken.None));
    }
}
