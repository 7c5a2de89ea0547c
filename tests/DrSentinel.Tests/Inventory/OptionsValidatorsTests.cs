using DrSentinel.Aws;
using DrSentinel.Inventory;
using DrSentinel.Inventory.Probes;
using Microsoft.Extensions.Options;

namespace DrSentinel.Tests.Inventory;

public sealed class OptionsValidatorsTests
{
    private static ValidateOptionsResult Validate(InventoryOptions inventory, AwsOptions? aws = null) =>
        new InventoryOptionsValidator(Options.Create(aws ?? new AwsOptions())).Validate(null, inventory);

    [Fact]
    public void Defaults_AreValid()
    {
        Assert.True(Validate(new InventoryOptions { ClusterName = "c" }).Succeeded);
        Assert.True(new ProbeOptionsValidator().Validate(null, new ProbeOptions()).Succeeded);
    }

    [Fact]
    public void DegradedThresholdBelowUnavailableThreshold_IsRefusedNamingBothKeys()
    {
        var result = Validate(new InventoryOptions { ZoneDegradedBelowReadyRatio = 0.4, ZoneUnavailableBelowReadyRatio = 0.5 });

        Assert.True(result.Failed);
        Assert.Contains("Inventory:ZoneDegradedBelowReadyRatio", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Inventory:ZoneUnavailableBelowReadyRatio", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void AwsRetriesThatDoNotFitInTheRefreshInterval_AreRefused()
    {
        // 4 x 10 s attempts and up to 3 x 10 s between them: 70 s, against a refresh every 15 s.
        var aws = new AwsOptions { Timeout = TimeSpan.FromSeconds(10), MaxAttempts = 4, RetryMaxDelay = TimeSpan.FromSeconds(10) };

        var result = Validate(new InventoryOptions { AwsRefreshInterval = TimeSpan.FromSeconds(15) }, aws);

        Assert.True(result.Failed);
        Assert.Contains("Inventory:AwsRefreshInterval", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("70 s", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void ProbeTimeoutNotShorterThanInterval_IsRefused()
    {
        var result = new ProbeOptionsValidator().Validate(null, new ProbeOptions { Interval = TimeSpan.FromSeconds(2), Timeout = TimeSpan.FromSeconds(2) });

        Assert.True(result.Failed);
        Assert.Contains("Probes:Timeout", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void ProbeEndpointWithoutPort_IsRefusedNamingTheKey()
    {
        var options = new ProbeOptions();
        options.Redis.Endpoints["member-1"] = "redis.local";

        Assert.Contains("Probes:Redis:Endpoints:member-1", new ProbeOptionsValidator().Validate(null, options).FailureMessage, StringComparison.Ordinal);
    }
}
