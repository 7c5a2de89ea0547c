using Prometheus;

namespace DrSentinel.Metrics;

public static class MetricsServiceCollectionExtensions
{
    private const string TextFormat = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>One registry per host (tests run several in a process), with lean process metrics instead of prometheus-net's defaults.</summary>
    public static IServiceCollection AddDrSentinelMetrics(this IServiceCollection services)
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        services.AddSingleton(registry);
        services.AddSingleton<IMetricFactory>(Prometheus.Metrics.WithCustomRegistry(registry));
        services.AddSingleton<ApiCallRecorder>();
        services.AddSingleton<InventoryMetrics>();
        services.AddSingleton<ProcessMetrics>();
        return services;
    }

    /// <summary>
    /// /metrics: the inventory rendered from one snapshot into a buffer of its own, then the API-call and process series
    /// that prometheus-net keeps (counters and a histogram, which concurrent scrapes cannot tear).
    /// </summary>
    public static IEndpointRouteBuilder MapDrSentinelMetrics(this IEndpointRouteBuilder app)
    {
        app.ServiceProvider.GetRequiredService<ProcessMetrics>(); // registers its scrape callback when created
        var inventory = app.ServiceProvider.GetRequiredService<InventoryMetrics>();
        var registry = app.ServiceProvider.GetRequiredService<CollectorRegistry>();
        app.MapGet("/metrics", async (HttpContext context) =>
        {
            context.Response.ContentType = TextFormat;
            await context.Response.WriteAsync(inventory.Render(), context.RequestAborted);
            await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });
        return app;
    }
}
