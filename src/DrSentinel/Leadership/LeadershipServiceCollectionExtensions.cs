using Microsoft.Extensions.Options;

namespace DrSentinel.Leadership;

public static class LeadershipServiceCollectionExtensions
{
    /// <summary>The Lease elector; with Leadership:Enabled off this process is always the leader (term 0).</summary>
    public static IServiceCollection AddLeadership(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LeadershipOptions>().Bind(configuration.GetSection(LeadershipOptions.Section))
            .Validate(o => !o.Enabled || o.RetryPeriod > TimeSpan.Zero, "Leadership:RetryPeriod must be above 0")
            .Validate(o => !o.Enabled || o.RenewDeadline > o.RetryPeriod, "Leadership:RenewDeadline must be longer than Leadership:RetryPeriod")
            .Validate(o => !o.Enabled || o.LeaseDuration > o.RenewDeadline,
                "Leadership:LeaseDuration must be longer than Leadership:RenewDeadline, so a leader stops acting before its Lease expires")
            .Validate(o => !o.Enabled || o.LeaseDuration >= TimeSpan.FromSeconds(1), "Leadership:LeaseDuration must be at least 1 s (the Lease counts whole seconds)")
            .Validate(o => !string.IsNullOrWhiteSpace(o.LeaseName) && !string.IsNullOrWhiteSpace(o.Namespace), "Leadership:LeaseName and Leadership:Namespace must not be empty")
            .ValidateOnStart();
        services.AddSingleton<LeadershipMetrics>();
        services.AddSingleton<LeaseElector>();
        services.AddHostedService(sp => sp.GetRequiredService<LeaseElector>());
        return services;
    }
}
