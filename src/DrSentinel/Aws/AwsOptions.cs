using System.ComponentModel.DataAnnotations;

namespace DrSentinel.Aws;

/// <summary>How DrSentinel reaches AWS. Bound from the "Aws" configuration section.</summary>
public sealed class AwsOptions
{
    public const string Section = "Aws";

    [Required, RegularExpression("^[a-z]{2}(-[a-z]+)+-\\d$", ErrorMessage = "Aws:Region must be an AWS region name such as eu-central-1")]
    public string Region { get; set; } = "eu-central-1";

    /// <summary>One endpoint for every service (the sandbox); null means each service's public regional endpoint.</summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Static credentials (the sandbox). Left empty, the SDK's default chain applies: environment, profile, IRSA web identity, instance role.</summary>
    public string? AccessKeyId { get; set; }
    public string? SecretAccessKey { get; set; }

    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Aws:Timeout must be between 100 ms and 5 minutes")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);

    [Range(1, 10, ErrorMessage = "Aws:MaxAttempts must be between 1 and 10")]
    public int MaxAttempts { get; set; } = 3;

    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = "Aws:RetryBaseDelay must be between 1 ms and 1 minute")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    [Range(typeof(TimeSpan), "00:00:00.001", "00:05:00", ErrorMessage = "Aws:RetryMaxDelay must be between 1 ms and 5 minutes")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest one call can take: every attempt timing out, with the longest wait between attempts.</summary>
    public TimeSpan WorstCaseCallTime => Timeout * MaxAttempts + RetryMaxDelay * (MaxAttempts - 1);

    public Uri EndpointFor(string service) => ServiceUrl ?? new Uri($"https://{service}.{Region}.amazonaws.com/");
}
