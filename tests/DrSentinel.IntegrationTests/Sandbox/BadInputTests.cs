using System.Net.Http.Headers;
using System.Text;
using DrSentinel.Clients.Aws;
using DrSentinel.Clients.Aws.AutoScaling;
using DrSentinel.Clients.Aws.ElastiCache;
using DrSentinel.Clients.Aws.Rds;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Sandbox;

namespace DrSentinel.IntegrationTests.Sandbox;

/// <summary>A corpus of malformed requests: every one gets a 4xx naming the problem, never a 500, and changes nothing.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private SandboxServer _sandbox = null!;
    private HttpClient _http = null!;
    private string _node = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await Sandboxes.StartAsync();
        _http = new HttpClient { BaseAddress = _sandbox.Endpoint };
        _node = _sandbox.State(r => r.Cluster.Nodes.First().Name);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _sandbox.DisposeAsync();
    }

    /// <summary>One raw request: method, path, content type and body (bytes, so invalid UTF-8 can be sent); "{node}" names a real node.</summary>
    public sealed record RawRequest(string Method, string Path, string? ContentType = null, byte[]? Body = null, string? Authorization = null)
    {
        public override string ToString() => $"{Method} {Path} {(Body is null ? "" : Encoding.UTF8.GetString(Body))} {Authorization}";
    }

    private static RawRequest Json(string method, string path, string body, string type = "application/json") => new(method, path, type, Encoding.UTF8.GetBytes(body));

    private const string Lease = "/apis/coordination.k8s.io/v1/namespaces/drsentinel/leases";
    private const string MergePatch = "application/merge-patch+json";

    public static TheoryData<RawRequest> Corpus => new()
    {
        // Kubernetes: resource versions, selectors, chunking
        new RawRequest("GET", "/api/v1/nodes?watch=true&resourceVersion=99999999999999999999999"),
        new RawRequest("GET", "/api/v1/nodes?watch=1&resourceVersion=abc"),
        new RawRequest("GET", "/api/v1/nodes?labelSelector=zone%20in%20(a"),
        new RawRequest("GET", "/api/v1/nodes?labelSelector=bad%20key%3Dx"),
        new RawRequest("GET", "/api/v1/nodes?labelSelector=a%20in%20()"),
        new RawRequest("GET", "/api/v1/nodes?labelSelector=a%20notin%20(%20)"),
        new RawRequest("GET", "/api/v1/nodes?labelSelector=zone%3D%2Fnot-a-value%2F"),
        new RawRequest("GET", "/api/v1/nodes?watch=true&labelSelector=a%2C%2Cb"),
        new RawRequest("GET", "/api/v1/nodes?fieldSelector=status.phase%3DRunning"),
        new RawRequest("GET", "/api/v1/nodes?watch=true&fieldSelector=nonsense"),
        new RawRequest("GET", "/api/v1/nodes?limit=-1"),
        new RawRequest("GET", "/api/v1/nodes?limit=many"),
        new RawRequest("GET", "/api/v1/nodes?limit=2&continue=not-a-token"),
        // Kubernetes: node patches
        new RawRequest("PATCH", "/api/v1/nodes/{node}", MergePatch, [.. "{\"metadata\":{\"labels\":{\"drill\":\""u8, 0xff, 0xfe, .. "\"}}}"u8]),
        Json("PATCH", "/api/v1/nodes/{node}", """{"metadata":{"labels":{"bad key":"x"}}}""", MergePatch),
        Json("PATCH", "/api/v1/nodes/{node}", """{"metadata":{"labels":{"Example.COM/zone":"x"}}}""", MergePatch),
        Json("PATCH", "/api/v1/nodes/{node}", "{\"metadata\":{\"labels\":{\"drill\":\"" + new string('a', 64) + "\"}}}", MergePatch),
        Json("PATCH", "/api/v1/nodes/{node}", """{"metadata":{"labels":{"drill":5}}}""", MergePatch),
        Json("PATCH", "/api/v1/nodes/{node}", """{"spec":{"unschedulable":"yes"}}""", MergePatch),
        Json("PATCH", "/api/v1/nodes/{node}", "[1,2]", MergePatch),
        Json("PATCH", "/api/v1/nodes/{node}", "{not json", MergePatch),
        Json("PATCH", "/api/v1/nodes/{node}", """{"spec":{"unschedulable":true}}""", "text/plain"),
        // Kubernetes: leases and events with the wrong JSON types
        Json("POST", Lease, """{"metadata":{"name":"drsentinel"},"spec":{"holderIdentity":5}}"""),
        Json("POST", Lease, """{"metadata":{"name":"drsentinel"},"spec":{"leaseDurationSeconds":"fifteen"}}"""),
        Json("POST", Lease, """{"metadata":{"name":"drsentinel"},"spec":{"leaseDurationSeconds":99999999999}}"""),
        Json("POST", Lease, """{"metadata":{"name":"drsentinel"},"spec":{"renewTime":"yesterday"}}"""),
        Json("POST", Lease, """{"metadata":{"name":7}}"""),
        Json("POST", Lease, """{"metadata":{"name":"drsentinel"},"spec":[]}"""),
        Json("POST", Lease, "[]"),
        Json("POST", Lease, "{"),
        Json("PUT", Lease + "/other", """{"metadata":{"name":"drsentinel"}}"""),
        Json("POST", "/api/v1/namespaces/drsentinel/events", "{"),
        Json("POST", "/api/v1/namespaces/drsentinel/events", "\"an event\""),
        Json("POST", "/api/v1/namespaces/drsentinel/events", """{"metadata":{"name":5}}"""),
        Json("POST", "/api/v1/namespaces/drsentinel/events", """{"reason":"NoMetadata"}"""),
        Json("POST", "/api/v1/namespaces/drsentinel/events", """{"metadata":{"name":"e"},"message":7}"""),
        // AWS: malformed signatures and requests, refused before any operation runs
        new RawRequest("POST", "/", "application/x-www-form-urlencoded", "Action=DescribeDBInstances&Version=2014-10-31"u8.ToArray(),
            "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request, Credential=e/f/g/h/aws4_request, SignedHeaders=host, Signature=00"),
        new RawRequest("POST", "/", "application/x-www-form-urlencoded", "Action=DescribeDBInstances&Version=2014-10-31"u8.ToArray(), "AWS4-HMAC-SHA256 garbage"),
        new RawRequest("POST", "/", "application/x-www-form-urlencoded", "Action=DescribeDBInstances&Version=2014-10-31"u8.ToArray(),
            "AWS4-HMAC-SHA256 Credential=AKIASANDBOXDRSENTINEL, SignedHeaders=host, Signature=00"),
        new RawRequest("POST", "/", "application/x-www-form-urlencoded", "Action=DescribeDBInstances&Version=2014-10-31"u8.ToArray(), "Basic Zm9vOmJhcg=="),
        new RawRequest("POST", "/", "application/x-www-form-urlencoded", "Version=2014-10-31"u8.ToArray()),
        new RawRequest("POST", "/", "application/x-www-form-urlencoded", [0xff, 0xfe, 0x00, 0x41]),
        // The control API
        new RawRequest("POST", "/sandbox/zones/eu-central-1a/fail?mode=soft"),
        new RawRequest("POST", "/sandbox/zones/eu-central-1a/fail?mode=gray&dataPlane=maybe"),
        new RawRequest("POST", "/sandbox/zones/moon-1a/fail"),
        Json("POST", "/sandbox/faults", "{not json"),
        Json("POST", "/sandbox/faults", """{"service":"rds","operation":"*","probability":2}"""),
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task MalformedRequest_GetsA4xx_AndChangesNothing(RawRequest request)
    {
        var before = State();
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path.Replace("{node}", _node, StringComparison.Ordinal));
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType!);
        }
        if (request.Authorization is not null) message.Headers.TryAddWithoutValidation("Authorization", request.Authorization);

        using var response = await _http.SendAsync(message);

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.False(string.IsNullOrWhiteSpace(await response.Content.ReadAsStringAsync()), "a refusal says why");
        Assert.Equal(before, State());
    }

    /// <summary>What a refused request must not have changed: the patched node, leases, events, zones and faults.</summary>
    private string State() => _sandbox.State(r =>
    {
        var node = r.Cluster.Find(_node)!;
        return string.Join('|', node.ResourceVersion, node.Unschedulable, string.Join(',', node.ExtraLabels), r.Leases.Count(l => l.Key.Namespace != "kube-node-lease"),
            r.KubernetesEvents.Count, r.Zones.Values.Count(z => z.Failure != DrSentinel.Sandbox.Region.AzFailure.None), r.Faults.Count);
    });

    public static TheoryData<string, string, string, string> SignedCorpus => new()
    {
        { "rds", "DescribeDBInstances", "Marker", Convert.ToBase64String("offset:99999999999999999999"u8.ToArray()) },
        { "rds", "DescribeDBInstances", "Marker", "!!!" },
        { "rds", "DescribeEvents", "Duration", "2147483647" },
        { "rds", "DescribeEvents", "StartTime", "not-a-time" },
        { "elasticache", "DescribeEvents", "Duration", "2147483647" },
        { "elasticache", "DescribeCacheClusters", "MaxRecords", "5000" },
        { "autoscaling", "DescribeAutoScalingGroups", "MaxRecords", "lots" },
        { "autoscaling", "DescribeTags", "NextToken", Convert.ToBase64String("offset:-3"u8.ToArray()) },
    };

    [Theory]
    [MemberData(nameof(SignedCorpus))]
    public async Task MalformedParameter_InASignedAwsRequest_GetsA4xxNamingIt(string service, string operation, string parameter, string value)
    {
        using var aws = new AwsClients(_sandbox, maxAttempts: 1);
        var api = service switch { "rds" => RdsClient.Api, "elasticache" => ElastiCacheClient.Api, _ => AutoScalingClient.Api };

        var refused = await Assert.ThrowsAsync<AwsServiceException>(() =>
            aws.Query.SendAsync(api, operation, [new(parameter, value)], idempotent: true, CancellationToken.None));

        Assert.InRange(refused.HttpStatus ?? 0, 400, 499);
        Assert.False(string.IsNullOrWhiteSpace(refused.Message));
    }
}
