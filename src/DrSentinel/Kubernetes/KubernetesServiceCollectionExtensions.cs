using k8s;
using Microsoft.Extensions.Options;

namespace DrSentinel.Kubernetes;

public static class KubernetesServiceCollectionExtensions
{
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
                return new k8s.Kubernetes(config);
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
