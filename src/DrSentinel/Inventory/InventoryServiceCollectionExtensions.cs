using DrSentinel.Health;
using DrSentinel.Inventory.Aws;
using DrSentinel.Inventory.Kubernetes;
using DrSentinel.Inventory.Probes;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DrSentinel.Inventory;

public static class InventoryServiceCollectionExtensions
{
    /// <summary>The inventory: the node watch, the AWS sources, the data-plane probes that are enabled, and the snapshot they fill.</summary>
    public static IServiceCollection AddInventory(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<InventoryOptions>().Bind(configuration.GetSection(InventoryOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<InventoryOptions>, InventoryOptionsValidator>();
        services.AddOptions<ProbeOptions>().Bind(configuration.GetSection(ProbeOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProbeOptions>, ProbeOptionsValidator>();
        services.AddSingleton<InventoryStore>();
        services.AddSingleton<NodeInformer>();
        services.AddHostedService(sp => sp.GetRequiredService<NodeInformer>());
        services.AddSource<NodeLeaseSource>();
        services.AddSource<ScalingGroupSource>();
        services.AddSource<RdsSource>();
        services.AddSource<ElastiCacheSource>();
        services.AddSource<SnapshotSource>();
        if (configuration.GetSection(InventoryOptions.Section).Get<InventoryOptions>()?.ZonalShiftResources is { Count: > 0 })
            services.AddSource<ZonalShiftSource>();
        var probes = configuration.GetSection(ProbeOptions.Section).Get<ProbeOptions>() ?? new ProbeOptions();
        if (probes.Postgres.Enabled) services.AddSource<PostgresProbeSource>();
        if (probes.Redis.Enabled) services.AddSource<RedisProbeSource>();
        services.AddHealthChecks().AddCheck<InventoryReadiness>("inventory", tags: [HealthEndpoints.ReadyTag]);
        return services;
    }

    private static void AddSource<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] TSource>(
        this IServiceCollection services) where TSource : class, IInventorySource
    {
        services.AddSingleton<TSource>();
        services.AddSingleton<IInventorySource>(sp => sp.GetRequiredService<TSource>());
        services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<SourceRunner>(sp, sp.GetRequiredService<TSource>()));
    }

    /// <summary>Ready once every source has refreshed successfully at least once, so the first scrape is not all zeros.</summary>
    private sealed class InventoryReadiness(InventoryStore store, IEnumerable<IInventorySource> sources) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var waiting = store.NotYetRefreshed(sources);
            return Task.FromResult(waiting.Count == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"waiting for the first refresh of: {string.Join(", ", waiting)}"));
        }
    }
}
