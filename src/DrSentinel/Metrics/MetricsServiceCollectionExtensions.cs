using Prometheus;

namespace DrSentinel.Metrics;

public static class MetricsServiceCollectionExtensions
{
    /// <summary>One registry per host (tests run several in a process); process metrics kept, the rest of the defaults off.</summary>
    public static IServiceCollection AddDrSentinelMetrics(this IServiceCollection services)
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(registry);
        services.AddSingleton(registry);
        services.AddSingleton<IMetricFactory>(Prometheus.Metrics.WithCustomRegistry(registry));
        services.AddSingleton<ApiCallRecorder>();
        services.AddSingleton<InventoryMetrics>();
        return services;
    }

    public static IEndpointRouteBuilder MapDrSentinelMetrics(this IEndpointRouteBuilder app)
    {
        app.ServiceProvider.GetRequiredService<InventoryMetrics>(); // registers its scrape callback
        app.MapMetrics("/metrics", app.ServiceProvider.GetRequiredService<CollectorRegistry>());
        return app;
    }
}
