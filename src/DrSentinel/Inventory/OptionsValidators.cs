using DrSentinel.Clients.Aws;
using DrSentinel.Inventory.Probes;
using Microsoft.Extensions.Options;

namespace DrSentinel.Inventory;

/// <summary>Inventory settings that only make sense together, and with the AWS retry settings.</summary>
internal sealed class InventoryOptionsValidator(IOptions<AwsOptions> aws) : IValidateOptions<InventoryOptions>
{
    public ValidateOptionsResult Validate(string? name, InventoryOptions options)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterName)) problems.Add("Inventory:ClusterName is required");
        Settings.Within(problems, "Inventory:AwsRefreshInterval", options.AwsRefreshInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        if (options.ZoneDegradedBelowReadyRatio is < 0 or > 1 or double.NaN) problems.Add("Inventory:ZoneDegradedBelowReadyRatio must be between 0 and 1");
        if (options.ZoneUnavailableBelowReadyRatio is < 0 or > 1 or double.NaN) problems.Add("Inventory:ZoneUnavailableBelowReadyRatio must be between 0 and 1");
        if (options.ZoneDegradedBelowReadyRatio < options.ZoneUnavailableBelowReadyRatio)
            problems.Add($"Inventory:ZoneDegradedBelowReadyRatio ({options.ZoneDegradedBelowReadyRatio}) must not be below " +
                         $"Inventory:ZoneUnavailableBelowReadyRatio ({options.ZoneUnavailableBelowReadyRatio}): a zone is degraded before it is unavailable");
        foreach (var arn in options.ZonalShiftResources.Where(a => !a.StartsWith("arn:", StringComparison.Ordinal) || a.Split(':').Length < 6))
            problems.Add($"Inventory:ZonalShiftResources: '{arn}' is not an ARN (the EKS cluster's or a load balancer's, as ARC zonal shift lists it)");
        if (options.ZonalShiftResources.Distinct(StringComparer.Ordinal).Count() != options.ZonalShiftResources.Count)
            problems.Add("Inventory:ZonalShiftResources names a resource more than once");
        if (WorstCaseAwsCall() is { } worst && worst > options.AwsRefreshInterval)
            problems.Add($"Aws:Timeout x Aws:MaxAttempts plus Aws:RetryMaxDelay between attempts can take {worst.TotalSeconds:0.###} s, longer than " +
                         $"Inventory:AwsRefreshInterval ({options.AwsRefreshInterval.TotalSeconds:0.###} s): a refresh would be cut off in the middle of its retries");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Null when the AWS settings are invalid themselves: that is reported under their own keys.</summary>
    private TimeSpan? WorstCaseAwsCall()
    {
        try
        {
            return aws.Value.WorstCaseCallTime;
        }
        catch (OptionsValidationException)
        {
            return null;
        }
    }
}

internal sealed class ProbeOptionsValidator : IValidateOptions<ProbeOptions>
{
    public ValidateOptionsResult Validate(string? name, ProbeOptions options)
    {
        var problems = new List<string>();
        Settings.Within(problems, "Probes:Interval", options.Interval, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Settings.Within(problems, "Probes:Timeout", options.Timeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        if (options.Timeout >= options.Interval)
            problems.Add($"Probes:Timeout ({options.Timeout.TotalSeconds:0.###} s) must be shorter than Probes:Interval ({options.Interval.TotalSeconds:0.###} s)");
        if (!Enum.TryParse<Npgsql.SslMode>(options.Postgres.SslMode, ignoreCase: true, out _))
            problems.Add($"Probes:Postgres:SslMode '{options.Postgres.SslMode}' is not one of {string.Join(", ", Enum.GetNames<Npgsql.SslMode>())}");
        foreach (var (section, endpoints) in new[] { ("Postgres", options.Postgres.Endpoints), ("Redis", options.Redis.Endpoints) })
            foreach (var (id, endpoint) in endpoints)
                if (endpoint.LastIndexOf(':') is var colon && (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], out var port) || port is < 1 or > 65535))
                    problems.Add($"Probes:{section}:Endpoints:{id} must be host:port, not '{endpoint}'");
        foreach (var (key, file) in new[] { ("Probes:Postgres:PasswordFile", options.Postgres.PasswordFile), ("Probes:Redis:PasswordFile", options.Redis.PasswordFile) })
            if (file is not null && !File.Exists(file)) problems.Add($"{key} names a file that does not exist: {file}");
        foreach (var (section, inline) in new[] { ("Postgres", options.Postgres.Password), ("Redis", options.Redis.Password) })
            if (inline is not null)
                problems.Add($"Probes:{section}:Password is not accepted: a password comes only from a file (Probes:{section}:PasswordFile, a mounted secret)");
        if (options.Postgres.PasswordFile is not null && !options.Postgres.AllowPlaintextPassword
            && Enum.TryParse<Npgsql.SslMode>(options.Postgres.SslMode, ignoreCase: true, out var mode) && mode is Npgsql.SslMode.Disable or Npgsql.SslMode.Allow or Npgsql.SslMode.Prefer)
            problems.Add($"Probes:Postgres:SslMode {options.Postgres.SslMode} can send the password without TLS: use Require, VerifyCA or VerifyFull, "
                + "or set Probes:Postgres:AllowPlaintextPassword=true (a lab only)");
        if (options.Redis.PasswordFile is not null && !options.Redis.Tls && !options.Redis.AllowPlaintextPassword)
            problems.Add("Probes:Redis:PasswordFile is set without Probes:Redis:Tls: AUTH would cross the network in plaintext; "
                + "turn on TLS (ElastiCache in-transit encryption), or set Probes:Redis:AllowPlaintextPassword=true (a lab only)");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
