namespace DrSentinel.Clients.Aws;

/// <summary>How DrSentinel reaches AWS. Bound from the "Aws" configuration section.</summary>
public sealed class AwsOptions
{
    public const string Section = "Aws";

    public string Region { get; set; } = "eu-central-1";

    /// <summary>One endpoint for every service (the sandbox); null means each service's public regional endpoint.</summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Static credentials (the sandbox). Left empty, the SDK's default chain applies: environment, profile, IRSA web identity, instance role.</summary>
    public string? AccessKeyId { get; set; }
    public string? SecretAccessKey { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);

    public int MaxAttempts { get; set; } = 3;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest one call can take: every attempt timing out, with the longest wait between attempts.</summary>
    public TimeSpan WorstCaseCallTime => Timeout * MaxAttempts + RetryMaxDelay * (MaxAttempts - 1);

    /// <summary>IAM is global: one endpoint, signed for us-east-1; every other service is regional.</summary>
    public Uri EndpointFor(string service) => ServiceUrl ?? (service == "iam" ? new Uri("https://iam.amazonaws.com/") : new Uri($"https://{service}.{Region}.amazonaws.com/"));

    public string SigningRegionFor(string service) => service == "iam" ? "us-east-1" : Region;
}
