using DrSentinel.Alerting;
using DrSentinel.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

public static class ActionsServiceCollectionExtensions
{
    /// <summary>The webhook receiver, its durable inbox and the engine that acts on it; nothing is served unless Receiver:Enabled.</summary>
    public static IServiceCollection AddActions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReceiverOptions>().Bind(configuration.GetSection(ReceiverOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReceiverOptions>, ReceiverOptionsValidator>();
        services.AddOptions<ActionOptions>().Bind(configuration.GetSection(ActionOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ActionOptions>, ActionOptionsValidator>();
        services.AddSingleton<ActionMetrics>();
        services.TryAddSingleton(Playbooks.BuiltInPlaybooks.Table);
        var receiver = configuration.GetSection(ReceiverOptions.Section).Get<ReceiverOptions>() ?? new ReceiverOptions();
        if (!receiver.Enabled) return services;
        // Safe by construction, not by a log line: an unauthenticated webhook can evacuate zones; only loopback may reach it.
        if (receiver.AllowUnauthenticated && ListenAddresses.NotLoopback(configuration) is { Count: > 0 } open)
            throw new StartupConfigurationException(
                $"Receiver:AllowUnauthenticated is true, but DrSentinel would listen on {string.Join(", ", open)}: an unauthenticated webhook may only listen on loopback; set Receiver:BearerTokenFile (or basic auth) instead");
        services.AddSingleton<WebhookAuthenticator>();
        services.AddSingleton<Heartbeat>();
        services.AddSingleton<AlertInbox>();
        services.AddSingleton<ActionHistory>();
        services.AddSingleton<KillSwitch>();
        services.AddSingleton<ActionEvents>();
        services.AddSingleton<Databases.FailoverFollower>();
        services.AddSingleton<StepRetries>();
        // The executor retries each step itself, reading again first: its clients send each call once.
        services.AddSingleton(sp =>
        {
            var once = sp.GetRequiredService<Clients.Aws.AwsQueryClient>().SingleAttempt();
            var (autoScaling, rds, elastiCache) = (new Clients.Aws.AutoScaling.AutoScalingClient(once), new Clients.Aws.Rds.RdsClient(once), new Clients.Aws.ElastiCache.ElastiCacheClient(once));
            var zonalShift = new Clients.Aws.ZonalShift.ZonalShiftClient(once, sp.GetRequiredService<Clients.Aws.ZonalShift.ZoneIdMap>());
            // Each playbook's step handlers; each client twice, in the constructor's order: what a handler reads with, then what it changes with.
            IStepHandler[] handlers =
            [
                new Capacity.ScalingGroupSteps(autoScaling, autoScaling),
                ActivatorUtilities.CreateInstance<Capacity.NodeSteps>(sp),
                new Capacity.ZonalShiftSteps(zonalShift, zonalShift),
                ActivatorUtilities.CreateInstance<Databases.RdsSteps>(sp, rds, rds),
                ActivatorUtilities.CreateInstance<Databases.CacheSteps>(sp, elastiCache, elastiCache),
            ];
            return new StepExecutor(handlers, sp.GetRequiredService<StepRetries>());
        });
        services.AddSingleton<Incidents.IncidentLog>();
        services.AddHostedService<Incidents.IncidentWatcher>();
        services.AddSingleton<PlanMaker>();
        services.AddSingleton<PlanRunner>();
        services.AddSingleton<ActionEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<ActionEngine>());
        services.AddHostedService<Capacity.CapacityFollower>();
        if (configuration.GetSection(ActionOptions.Section).Get<ActionOptions>()?.ShiftTrafficAway == true) services.AddHostedService<Capacity.ZonalShiftKeeper>();
        services.AddSingleton<AlertmanagerReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertmanagerReconciler>());
        return services;
    }
}
