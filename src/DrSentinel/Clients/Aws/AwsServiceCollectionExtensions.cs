using DrSentinel.Clients.Aws.AutoScaling;
using DrSentinel.Clients.Aws.Ec2;
using DrSentinel.Clients.Aws.ElastiCache;
using DrSentinel.Clients.Aws.Rds;
using DrSentinel.Clients.Aws.ZonalShift;
using Microsoft.Extensions.Options;

namespace DrSentinel.Clients.Aws;

public static partial class AwsServiceCollectionExtensions
{
    /// <summary>The typed AWS clients: RDS, ElastiCache, Auto Scaling and EC2 over the Query protocol, ARC zonal shift over REST-JSON.</summary>
    public static IServiceCollection AddAws(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AwsOptions>().Bind(configuration.GetSection(AwsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AwsOptions>, AwsOptionsValidator>();
        services.AddSingleton(_ => new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan, // AwsQueryClient applies Aws:Timeout per attempt
        });
        services.AddSingleton<AwsQueryClient>(sp => ActivatorUtilities.CreateInstance<AwsQueryClient>(sp, sp.GetRequiredService<HttpClient>(),
            AwsCredentials.Resolve(sp.GetRequiredService<IOptions<AwsOptions>>().Value), Random.Shared));
        // The reading side is registered by its reader interfaces only: sources and followers cannot change anything. The
        // step executor gets its own clients (one attempt per call) as readers and actions (AddActions).
        services.AddSingleton<RdsClient>();
        services.AddSingleton<IRdsReader>(sp => sp.GetRequiredService<RdsClient>());
        services.AddSingleton<ElastiCacheClient>();
        services.AddSingleton<IElastiCacheReader>(sp => sp.GetRequiredService<ElastiCacheClient>());
        services.AddSingleton<AutoScalingClient>();
        services.AddSingleton<IAutoScalingReader>(sp => sp.GetRequiredService<AutoScalingClient>());
        services.AddSingleton<IEc2Client, Ec2Client>();
        services.AddSingleton<ZoneIdMap>();
        services.AddSingleton<ZonalShiftClient>();
        services.AddSingleton<IZonalShiftReader>(sp => sp.GetRequiredService<ZonalShiftClient>());
        services.AddSingleton<Sts.StsClient>();
        services.AddSingleton<Iam.IIamReader, Iam.IamClient>();
        return services;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z]{2}(-[a-z]+)+-\\d$")]
    private static partial System.Text.RegularExpressions.Regex AwsRegionName();

    private sealed class AwsOptionsValidator : IValidateOptions<AwsOptions>
    {
        public ValidateOptionsResult Validate(string? name, AwsOptions options)
        {
            var problems = new List<string>();
            if (!AwsRegionName().IsMatch(options.Region ?? "")) problems.Add("Aws:Region must be an AWS region name such as eu-central-1");
            Settings.Within(problems, "Aws:Timeout", options.Timeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
            if (options.MaxAttempts is < 1 or > 10) problems.Add("Aws:MaxAttempts must be between 1 and 10");
            Settings.Within(problems, "Aws:RetryBaseDelay", options.RetryBaseDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
            Settings.Within(problems, "Aws:RetryMaxDelay", options.RetryMaxDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5));
            if (string.IsNullOrEmpty(options.AccessKeyId) != string.IsNullOrEmpty(options.SecretAccessKey))
                problems.Add("Aws:AccessKeyId and Aws:SecretAccessKey must be set together, or both left empty for the default credential chain");
            if (options.ServiceUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
                problems.Add($"Aws:ServiceUrl must be an absolute http(s) URL, not '{url}'");
            if (options.RetryBaseDelay > options.RetryMaxDelay) problems.Add("Aws:RetryBaseDelay must not exceed Aws:RetryMaxDelay");
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
