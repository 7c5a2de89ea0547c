using DrSentinel.Alerting;
using DrSentinel.Incidents;
using DrSentinel.IntegrationTests.Infrastructure;
using DrSentinel.Planning;
using DrSentinel.Playbooks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DrSentinel.IntegrationTests.Drill;

/// <summary>The drill and incidents verbs as processes: bad input refused before anything starts; the record read from a state directory.</summary>
public sealed class DrillCommandTests : IDisposable
{
    private static readonly Dictionary<string, string> Development = new() { ["DOTNET_ENVIRONMENT"] = "Development" };
    private readonly string _state = Directory.CreateTempSubdirectory("drsentinel-incidents-cli-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    private static Task<ProcessResult> RunAsync(params string[] arguments) =>
        ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "DrSentinel.dll"), .. arguments], TimeSpan.FromSeconds(60), Development);

    [Theory]
    [InlineData(new[] { "drill" }, "drill needs --scenario")]
    [InlineData(new[] { "drill", "--scenario", "meteor" }, "--scenario meteor is not one of gray, hard, two-zones, flapping")]
    [InlineData(new[] { "drill", "--scenario", "gray", "--speed", "0" }, "--speed 0 must be a number in (0, 10000]")]
    [InlineData(new[] { "drill", "--scenario", "gray", "--rto", "soon" }, "--rto soon must be a duration")]
    [InlineData(new[] { "drill", "--scenario", "gray", "--fault", "RebootDBInstance" }, "--fault RebootDBInstance must be service:Operation")]
    public async Task Drill_BadArguments_ExitTwoNamingThem_BeforeAnythingStarts(string[] arguments, string message)
    {
        var result = await RunAsync(arguments);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Sandbox region", result.Output + result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IncidentsShow_PrintsTheReport_FromTheStateDirectory_AndNamesAnUnknownId()
    {
        var log = new IncidentLog(Options.Create(new ReceiverOptions { StateDirectory = _state }), BuiltInPlaybooks.Table, TimeProvider.System, NullLogger<IncidentLog>.Instance);
        var alert = new ReceivedAlert("DrSentinelAzUnavailable", true, new Dictionary<string, string>(StringComparer.Ordinal) { ["az"] = "eu-central-1b" },
            DateTimeOffset.UtcNow.AddMinutes(-3), null, "00aa11bb22cc33dd", null, "{}");
        log.AlertTaken(new InboxEntry(alert, DateTimeOffset.UtcNow, null), BuiltInPlaybooks.Table.Route(alert.Name, true, alert.Labels, "pyairtable"));
        var incident = Assert.Single(log.All());

        var list = await RunAsync("incidents", "list", $"--Receiver:StateDirectory={_state}");
        var show = await RunAsync("incidents", "show", incident.Id, $"--Receiver:StateDirectory={_state}");
        var json = await RunAsync("incidents", "show", incident.Id, "--format", "json", $"--Receiver:StateDirectory={_state}");
        var unknown = await RunAsync("incidents", "show", "eu-central-1c-20200101T000000Z", $"--Receiver:StateDirectory={_state}");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.StartsWith($"{incident.Id}\topen\t", list.Output, StringComparison.Ordinal);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Equal(IncidentReport.Markdown(incident), show.Output);
        Assert.Contains($"\"id\": \"{incident.Id}\"", json.Output, StringComparison.Ordinal);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no incident eu-central-1c-20200101T000000Z", unknown.Error, StringComparison.Ordinal);
    }
}
