using k8s;
using Microsoft.Extensions.Options;

namespace DrSentinel.Clients.Kubernetes;

public static class KubernetesServiceCollectionExtensions
{
    /// <summary>Names the replica in every API call's User-Agent, so the API server's audit log tells the replicas apart.</summary>
    private sealed class UserAgentHandler(string replica) : DelegatingHandler
    {
        private readonly string _userAgent = $"DrSentinel ({replica})";

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.UserAgent.Clear();
            request.Headers.TryAddWithoutValidation("User-Agent", _userAgent);
            return base.SendAsync(request, cancellationToken);
        }
    }

    public static IServiceCollection AddKubernetes(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<KubernetesOptions>().Bind(configuration.GetSection(KubernetesOptions.Section))
            .Validate(o => o.Host is null || (o.Host.IsAbsoluteUri && o.Host.Scheme is "http" or "https"), "Kubernetes:Host must be an absolute http(s) URL")
            .Validate(o => o.KubeconfigPath is null || File.Exists(o.KubeconfigPath), "Kubernetes:KubeconfigPath names a file that does not exist")
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<KubernetesOptions>>().Value;
            try
            {
                var config = options.Host is { } host
                    ? new KubernetesClientConfiguration { Host = host.ToString() }
                    : KubernetesClientConfiguration.IsInCluster()
                        ? KubernetesClientConfiguration.InClusterConfig()
                        : KubernetesClientConfiguration.BuildConfigFromConfigFile(options.KubeconfigPath);
                var replica = sp.GetRequiredService<IOptions<Leadership.LeadershipOptions>>().Value.IdentityOrDefault();
                return new k8s.Kubernetes(config, new UserAgentHandler(replica));
            }
            catch (k8s.Exceptions.KubeConfigException e)
            {
                throw new StartupConfigurationException(
                    $"no Kubernetes API to talk to: not in a cluster, and {e.Message}; set Kubernetes:Host or Kubernetes:KubeconfigPath");
            }
        });
        return services;
    }
}
