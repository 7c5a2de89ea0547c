using Prometheus;

namespace DrSentinel.Metrics;

public static class MetricsServiceCollectionExtensions
{
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

    public static IEndpointRouteBuilder MapDrSentinelMetrics(this IEndpointRouteBuilder app)
    {
        // Each registers its scrape callback when created.
        app.ServiceProvider.GetRequiredService<ProcessMetrics>();
        app.ServiceProvider.GetRequiredService<InventoryMetrics>();
        app.MapMetrics("/metrics", app.ServiceProvider.GetRequiredService<CollectorRegistry>());
        return app;
    }
}
