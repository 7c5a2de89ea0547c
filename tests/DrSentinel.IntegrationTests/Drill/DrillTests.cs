using System.Text.Json;
using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Drill;

/// <summary>
/// `DrSentinel drill` as a process on its embedded sandbox with real PostgreSQL, Redis, Prometheus and Alertmanager, at
/// region speed 100 and a 10 s failover grace so it keeps to minutes: the gray drill meets the objectives and writes its
/// JSON; a drill whose failover call is sabotaged exits non-zero naming the objective it missed. Each drill is a class of
/// its own, so the drills (minutes of wall clock each) run side by side: xunit runs one class's tests one after another.
/// </summary>
public abstract class DrillScenario : IDisposable
{
    protected string Output { get; } = Directory.CreateTempSubdirectory("drsentinel-drill-out-").FullName;

    public void Dispose()
    {
        Directory.Delete(Output, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected Task<ProcessResult> DrillAsync(params string[] arguments) =>
        ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "DrSentinel.dll"), "drill", .. arguments, "--speed", "100",
            "--output", Output, "--Actions:FailoverGrace=00:00:10"], TimeSpan.FromMinutes(8), new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" });
}

[LongRunning(90)]
public sealed class GrayDrillTests : DrillScenario
{
    [Fact]
    public async Task GrayDrill_MeetsTheObjectives_WritesItsJsonAndTheIncidentReport()
    {
        var result = await DrillAsync("--scenario", "gray");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("every objective met", result.Output, StringComparison.Ordinal);
        var json = Assert.Single(Directory.GetFiles(Output, "drill-gray-*.json"));
        var drill = JsonSerializer.Deserialize<JsonElement>(await File.ReadAllTextAsync(json));
        Assert.Equal("gray", drill.GetProperty("scenario").GetString());
        Assert.Equal("ready", drill.GetProperty("readinessBefore").GetString()); // the region was ready for the loss before it
        Assert.Contains("readiness before the loss: ready", result.Output, StringComparison.Ordinal);
        Assert.Contains("Prometheus", drill.GetProperty("alerting").GetString(), StringComparison.Ordinal);
        var databases = drill.GetProperty("databases").EnumerateArray().ToList();
        Assert.Equal(["postgres", "redis"], databases.Select(d => d.GetProperty("engine").GetString()).Order());
        Assert.All(databases, d => Assert.True(d.GetProperty("acknowledged").GetInt32() > 0 && d.GetProperty("readBack").GetBoolean()));
        Assert.All(drill.GetProperty("objectives").EnumerateArray(), o => Assert.True(o.GetProperty("met").GetBoolean(), o.ToString()));
        Assert.True(drill.GetProperty("firstActionSeconds").GetDouble() >= drill.GetProperty("detectionSeconds").GetDouble());
        var report = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(Output, "incident-*.md")));
        Assert.Contains("fail pyairtable-primary over", report, StringComparison.Ordinal);
        // Traffic moved off the zone with ARC zonal shift, and let back in on restore.
        var traffic = drill.GetProperty("objectives").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "traffic off the lost zone");
        Assert.NotEqual("never", traffic.GetProperty("measured").GetString());
        Assert.Contains("ARC StartZonalShift", report, StringComparison.Ordinal);
        Assert.Contains("ARC CancelZonalShift", report, StringComparison.Ordinal);
    }
}

[LongRunning(100)]
public sealed class FlappingDrillTests : DrillScenario
{
    [Fact]
    public async Task FlappingDrill_AZoneThatComesAndGoesFasterThanTheRules_NothingIsDone()
    {
        var result = await DrillAsync("--scenario", "flapping");

        Assert.True(result.ExitCode == 0, result.ToString());
        var drill = JsonSerializer.Deserialize<JsonElement>(await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(Output, "drill-flapping-*.json"))));
        var flap = drill.GetProperty("objectives").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "no action on a flap");
        Assert.Equal(("0 step(s)", true), (flap.GetProperty("measured").GetString(), flap.GetProperty("met").GetBoolean()));
        Assert.All(drill.GetProperty("databases").EnumerateArray(), d => Assert.Equal(0, d.GetProperty("lost").GetInt32()));
    }
}

[LongRunning(135)]
public sealed class HardDrillTests : DrillScenario
{
    [Fact]
    public async Task HardDrill_AwsFailsOverByItself_DrSentinelMovesCapacity_TheObjectivesMet()
    {
        var result = await DrillAsync("--scenario", "hard");

        Assert.True(result.ExitCode == 0, result.ToString());
        var drill = JsonSerializer.Deserialize<JsonElement>(await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(Output, "drill-hard-*.json"))));
        Assert.All(drill.GetProperty("objectives").EnumerateArray(), o => Assert.True(o.GetProperty("met").GetBoolean(), o.ToString()));
        Assert.True(drill.GetProperty("capacityRestoredSeconds").GetDouble() > 0);
        // AWS moved the primaries: DrSentinel's own failover calls are not in the incident.
        var report = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(Output, "incident-*.md")));
        Assert.DoesNotContain("RebootDBInstance, ForceFailover) (", report, StringComparison.Ordinal);
        Assert.Contains("cordon", report, StringComparison.Ordinal);
    }
}

[LongRunning(145)]
public sealed class SabotagedDrillTests : DrillScenario
{
    [Fact]
    public async Task SabotagedDrill_TheFailoverCallFails_ExitsNonZeroNamingTheMissedObjective()
    {
        var result = await DrillAsync("--scenario", "gray", "--fault", "rds:RebootDBInstance", "--rto", "100s");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("sabotage: every rds RebootDBInstance call fails", result.Output, StringComparison.Ordinal);
        Assert.Contains("objectives missed: RTO pyairtable-primary", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("RTO pyairtable-redis:", result.Output[result.Output.IndexOf("objectives missed", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }
}

[LongRunning(110)]
public sealed class NoCapacityDrillTests : DrillScenario
{
    [Fact]
    public async Task GrayDrill_NoCapacityInTheOtherZoneOfAGroup_NamesTheShortfallWithAwsMessage_AndPutsEverythingBack()
    {
        var result = await DrillAsync("--scenario", "gray", "--no-capacity-in", "eu-central-1b");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("no capacity: EC2 launches nothing in eu-central-1b", result.Output, StringComparison.Ordinal);
        var drill = JsonSerializer.Deserialize<JsonElement>(await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(Output, "drill-gray-*.json"))));
        var objectives = drill.GetProperty("objectives").EnumerateArray().ToList();
        // primary's only zone left is 1b: AWS cannot launch there and no other allowed group has a usable zone, so it is named.
        var capacity = objectives.Single(o => o.GetProperty("name").GetString() == "no capacity in eu-central-1b");
        Assert.True(capacity.GetProperty("met").GetBoolean(), capacity.ToString());
        Assert.Contains("We currently do not have sufficient m5.large capacity in the Availability Zone you requested (eu-central-1b)",
            capacity.GetProperty("measured").GetString(), StringComparison.Ordinal);
        var putBack = objectives.Single(o => o.GetProperty("name").GetString() == "everything put back");
        Assert.True(putBack.GetProperty("met").GetBoolean(), putBack.ToString());
        var report = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(Output, "incident-*.md")));
        Assert.Contains("capacity short", report, StringComparison.Ordinal);
    }
}
