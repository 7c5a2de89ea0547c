using DrSentinel.Clients.Aws;
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

    [Theory]
    [InlineData("Postgres")]
    [InlineData("Redis")]
    public void InlinePassword_IsRefused_OnlyAFileIsRead(string section)
    {
        var options = new ProbeOptions();
        if (section == "Postgres") options.Postgres.Password = "hunter2";
        else options.Redis.Password = "hunter2";

        var result = new ProbeOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains($"Probes:{section}:Password is not accepted", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Disable", false, true)]
    [InlineData("Prefer", false, true)]
    [InlineData("Allow", false, true)]
    [InlineData("Prefer", true, false)]
    [InlineData("Require", false, false)]
    [InlineData("VerifyFull", false, false)]
    public void PostgresPassword_NeedsAnSslModeThatNeverFallsBackToPlaintext(string sslMode, bool allowPlaintext, bool refused)
    {
        var file = Path.GetTempFileName();
        var options = new ProbeOptions();
        options.Postgres.PasswordFile = file;
        options.Postgres.SslMode = sslMode;
        options.Postgres.AllowPlaintextPassword = allowPlaintext;

        var result = new ProbeOptionsValidator().Validate(null, options);

        Assert.Equal(refused, result.Failed);
        if (refused) Assert.Contains("Probes:Postgres:AllowPlaintextPassword", result.FailureMessage, StringComparison.Ordinal);
        File.Delete(file);
    }

    [Theory]
    [InlineData(false, false, true)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    public void RedisPassword_NeedsTls(bool tls, bool allowPlaintext, bool refused)
    {
        var file = Path.GetTempFileName();
        var options = new ProbeOptions();
        options.Redis.PasswordFile = file;
        options.Redis.Tls = tls;
        options.Redis.AllowPlaintextPassword = allowPlaintext;

        var result = new ProbeOptionsValidator().Validate(null, options);

        Assert.Equal(refused, result.Failed);
        if (refused) Assert.Contains("Probes:Redis:Tls", result.FailureMessage, StringComparison.Ordinal);
        File.Delete(file);
    }

    [Fact]
    public void Defaults_StateOnTheChartsVolume_JsonLogs_DevelopmentRunReadable()
    {
        Assert.Equal("/var/lib/drsentinel", new DrSentinel.Alerting.ReceiverOptions().StateDirectory);
        var settings = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))!;
        var development = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json")))!;
        Assert.Equal("json", settings["Logging"]!["Console"]!["FormatterName"]!.GetValue<string>());
        Assert.Equal("simple", development["Logging"]!["Console"]!["FormatterName"]!.GetValue<string>());
    }
}
