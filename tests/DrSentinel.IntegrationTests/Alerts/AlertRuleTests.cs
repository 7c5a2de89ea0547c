using System.Text.RegularExpressions;
using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Alerts;

/// <summary>The rule file checked and unit-tested by promtool, and held to the monitoring-mixin conventions.</summary>
public sealed class AlertRuleTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);
    private static readonly string[] Severities = ["critical", "warning", "info"];
    private static readonly string TestsFolder = Path.Combine(RepoPaths.Root, "alerts", "tests");

    [Fact]
    public async Task PromtoolCheckRules_AcceptsTheRuleFile()
    {
        var result = await ExternalProcess.RunAsync("promtool", ["check", "rules", RuleFile.Path], Deadline);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("SUCCESS", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromtoolTestRules_EveryTestFilePasses()
    {
        var files = Directory.GetFiles(TestsFolder, "*.test.yml").Order(StringComparer.Ordinal).ToArray();

        var result = await ExternalProcess.RunAsync("promtool", ["test", "rules", .. files], Deadline);

        Assert.NotEmpty(files);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(files.Length, Regex.Count(result.Output, "SUCCESS"));
    }

    [Fact]
    public void EveryAlert_HasAFiringAndANotFiringUnitTest()
    {
        var tests = string.Join('\n', Directory.GetFiles(TestsFolder, "*.test.yml").Select(File.ReadAllText));
        var cases = Regex.Matches(tests, @"alertname: (\w+)\s+exp_alerts:(\s*\[\])?").Select(m => (Alert: m.Groups[1].Value, Silent: m.Groups[2].Success)).ToList();

        var untested = RuleFile.Load().Alerts.Select(a => a.Alert!)
            .Where(name => !cases.Contains((name, true)) || !cases.Contains((name, false))).ToList();

        Assert.True(untested.Count == 0, "alerts without both a firing and a silent case: " + string.Join(", ", untested));
    }

    [Fact]
    public void EveryAlert_HasForSeveritySummaryDescriptionAndAnExistingRunbook()
    {
        var alerts = RuleFile.Load().Alerts.ToList();

        Assert.True(alerts.Count >= 14, $"only {alerts.Count} alerts");
        Assert.All(alerts, alert =>
        {
            Assert.StartsWith("DrSentinel", alert.Alert, StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(alert.For), $"{alert.Alert} has no for:");
            // The heartbeat is for DrSentinel alone: a severity no human route takes.
            Assert.Contains(alert.Labels.GetValueOrDefault("severity"), alert.Alert == "DrSentinelHeartbeat" ? ["none"] : Severities);
            Assert.False(string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault("summary")), $"{alert.Alert} has no summary");
            Assert.False(string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault("description")), $"{alert.Alert} has no description");
            var runbook = alert.Annotations.GetValueOrDefault("runbook_url") ?? "";
            Assert.EndsWith($"/docs/runbooks/{alert.Alert}.md", runbook, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "docs", "runbooks", $"{alert.Alert}.md")), $"no runbook for {alert.Alert}");
        });
    }

    [Fact]
    public void EveryMetricTheRulesRead_IsDocumentedInMetricsMd()
    {
        var documented = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "metrics.md"));
        var rules = RuleFile.Load();

        var undocumented = rules.Groups.SelectMany(g => g.Rules).SelectMany(r => RuleFile.MetricsIn(r.Expr))
            .Where(metric => !documented.Contains($"`{metric}`", StringComparison.Ordinal)).Distinct().ToList();

        Assert.True(undocumented.Count == 0, "metrics the rules read but docs/metrics.md does not document: " + string.Join(", ", undocumented));
    }
}
