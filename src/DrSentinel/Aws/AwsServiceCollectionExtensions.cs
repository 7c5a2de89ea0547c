using DrSentinel.Aws.AutoScaling;
using DrSentinel.Aws.Ec2;
using DrSentinel.Aws.ElastiCache;
using DrSentinel.Aws.Rds;
using Microsoft.Extensions.Options;

namespace DrSentinel.Aws;

public static class AwsServiceCollectionExtensions
{
    /// <summary>The typed AWS clients: RDS, ElastiCache, Auto Scaling and EC2, all over the Query protocol.</summary>
    public static IServiceCollection AddAws(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AwsOptions>().Bind(configuration.GetSection(AwsOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<AwsOptions>, AwsOptionsValidator>();
        services.AddSingleton(_ => new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan, // AwsQueryClient applies Aws:Timeout per attempt
        });
        services.AddSingleton<AwsQueryClient>(sp => ActivatorUtilities.CreateInstance<AwsQueryClient>(sp, sp.GetRequiredService<HttpClient>(),
            AwsCredentials.Resolve(sp.GetRequiredService<IOptions<AwsOptions>>().Value), Random.Shared));
        services.AddSingleton<IRdsClient, RdsClient>();
        services.AddSingleton<IElastiCacheClient, ElastiCacheClient>();
        services.AddSingleton<IAutoScalingClient, AutoScalingClient>();
        services.AddSingleton<IEc2Client, Ec2Client>();
        return services;
    }

    private sealed class AwsOptionsValidator : IValidateOptions<AwsOptions>
    {
        public ValidateOptionsResult Validate(string? name, AwsOptions options)
        {
            if (string.IsNullOrEmpty(options.AccessKeyId) != string.IsNullOrEmpty(options.SecretAccessKey))
                return ValidateOptionsResult.Fail("Aws:AccessKeyId and Aws:SecretAccessKey must be set together, or both left empty for the default credential chain");
            if (options.ServiceUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
                return ValidateOptionsResult.Fail($"Aws:ServiceUrl must be an absolute http(s) URL, not '{url}'");
            if (options.RetryBaseDelay > options.RetryMaxDelay)
                return ValidateOptionsResult.Fail("Aws:RetryBaseDelay must not exceed Aws:RetryMaxDelay");
            return ValidateOptionsResult.Success;
        }
    }
}
