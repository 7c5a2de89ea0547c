using DrSentinel.Aws;
using DrSentinel.Health;
using DrSentinel.Kubernetes;
using DrSentinel.Metrics;
using DrSentinel.SandboxHosting;

var builder = WebApplication.CreateBuilder(args);
await builder.AddEmbeddedSandboxAsync();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddDrSentinelMetrics();
builder.Services.AddAws(builder.Configuration);
builder.Services.AddKubernetes(builder.Configuration);
builder.Services.AddHealth();

var app = builder.Build();
app.MapHealth();
app.MapDrSentinelMetrics();
app.LogAddressesOnStart();
await app.RunAsync();

/// <summary>The host's entry point, visible to tests.</summary>
public partial class Program;
