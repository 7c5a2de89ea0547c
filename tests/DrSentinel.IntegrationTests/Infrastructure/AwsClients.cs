using System.Collections.Concurrent;
using DrSentinel.Clients.Aws;
using DrSentinel.Clients.Aws.AutoScaling;
using DrSentinel.Clients.Aws.Ec2;
using DrSentinel.Clients.Aws.ElastiCache;
using DrSentinel.Clients.Aws.Rds;
using DrSentinel.Metrics;
using DrSentinel.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>The project's own AWS clients, pointed at a sandbox over HTTP, with every request body kept for model checks.</summary>
public sealed class AwsClients : IDisposable
{
    private readonly HttpClient _http;

    /// <param name="credentials">How the clients find their keys; null: the sandbox's static key (or <paramref name="secretAccessKey"/>).</param>
    public AwsClients(SandboxServer sandbox, string? secretAccessKey = null, int maxAttempts = 3, Amazon.Runtime.AWSCredentials? credentials = null)
    {
        Options = new AwsOptions
        {
            Region = sandbox.Region.Name,
            ServiceUrl = sandbox.Endpoint,
            AccessKeyId = sandbox.Options.AccessKeyId,
            SecretAccessKey = secretAccessKey ?? sandbox.Options.SecretAccessKey,
            MaxAttempts = maxAttempts,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
        };
        _http = new HttpClient(new RecordingHandler(RequestBodies) { InnerHandler = new SocketsHttpHandler() });
        Recorder = new ApiCallRecorder(Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()), TimeProvider.System);
        var query = new AwsQueryClient(_http, Microsoft.Extensions.Options.Options.Create(Options), credentials ?? AwsCredentials.Resolve(Options), TimeProvider.System, new Random(7), Recorder, NullLogger<AwsQueryClient>.Instance);
        Query = query;
        Rds = new RdsClient(query);
        ElastiCache = new ElastiCacheClient(query);
        AutoScaling = new AutoScalingClient(query);
        Ec2 = new Ec2Client(query);
    }

    public AwsOptions Options { get; }
    /// <summary>The Query protocol client itself, to send what the typed clients never would.</summary>
    public AwsQueryClient Query { get; }
    public ApiCallRecorder Recorder { get; }
    public IRdsClient Rds { get; }
    public IElastiCacheClient ElastiCache { get; }
    public IAutoScalingClient AutoScaling { get; }
    public IEc2Client Ec2 { get; }
    public ConcurrentQueue<string> RequestBodies { get; } = new();

    public void Dispose()
    {
        _http.Dispose();
    }

    private sealed class RecordingHandler(ConcurrentQueue<string> bodies) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is not null) bodies.Enqueue(await request.Content.ReadAsStringAsync(cancellationToken));
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
