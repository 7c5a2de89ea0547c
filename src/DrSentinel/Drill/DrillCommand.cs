using System.Globalization;
using System.Text.Json;
using DrSentinel.Actions;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using Microsoft.Extensions.Options;

namespace DrSentinel.Drill;

/// <summary>What a drill is asked for, from its command line; a bad value is refused before anything starts.</summary>
public sealed record DrillOptions(string Scenario, string? Zone, double Speed, string OutputDirectory, TimeSpan Rto, TimeSpan Rpo, IReadOnlyList<string> Faults)
{
    /// <summary>Zones where EC2 has no capacity during the drill (`--no-capacity-in ZONE`): launches there fail.</summary>
    public IReadOnlyList<string> NoCapacityIn { get; init; } = [];

    public static readonly string[] Scenarios = ["gray", "hard", "two-zones", "flapping"];

    /// <summary>The seed plan's objectives.</summary>
    public static readonly TimeSpan DefaultRto = TimeSpan.FromMinutes(10), DefaultRpo = TimeSpan.FromMinutes(15);

    /// <summary>Reads `drill --scenario S [--az Z] [--speed N] [--output DIR] [--rto 10m] [--rpo 15m] [--fault service:Operation]... [--no-capacity-in ZONE]...`.</summary>
    public static DrillOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            var at = Array.LastIndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        }
        var scenario = Value("--scenario") ?? throw new StartupConfigurationException($"drill needs --scenario: one of {string.Join(", ", Scenarios)}");
        if (!Scenarios.Contains(scenario)) throw new StartupConfigurationException($"--scenario {scenario} is not one of {string.Join(", ", Scenarios)}");
        var speed = Value("--speed") is { } s ? double.TryParse(s, CultureInfo.InvariantCulture, out var v) && v is > 0 and <= 10000 ? v
            : throw new StartupConfigurationException($"--speed {s} must be a number in (0, 10000]") : 1;
        var faults = args.Select((a, i) => (a, i)).Where(p => p.a == "--fault" && p.i + 1 < args.Length).Select(p => args[p.i + 1]).ToList();
        foreach (var fault in faults.Where(f => f.Split(':') is not [{ Length: > 0 }, { Length: > 0 }]))
            throw new StartupConfigurationException($"--fault {fault} must be service:Operation, e.g. rds:RebootDBInstance");
        var noCapacity = args.Select((a, i) => (a, i)).Where(p => p.a == "--no-capacity-in").Select(p => p.i + 1 < args.Length ? args[p.i + 1] : "").ToList();
        if (noCapacity.FirstOrDefault(z => z.Length == 0 || z.StartsWith("--", StringComparison.Ordinal)) is not null)
            throw new StartupConfigurationException("--no-capacity-in needs a zone, e.g. --no-capacity-in eu-central-1b");
        if (scenario == "flapping" && noCapacity.Count > 0)
            throw new StartupConfigurationException("--no-capacity-in does not apply to the flapping scenario: nothing is evacuated there");
        return new DrillOptions(scenario, Value("--az"), speed, Value("--output") ?? Directory.GetCurrentDirectory(),
            Duration("--rto", Value("--rto"), DefaultRto), Duration("--rpo", Value("--rpo"), DefaultRpo), faults) { NoCapacityIn = noCapacity };
    }

    /// <summary>"90s", "10m", "1h", or a TimeSpan ("00:10:00").</summary>
    private static TimeSpan Duration(string name, string? text, TimeSpan fallback)
    {
        if (text is null) return fallback;
        if (text.Length > 1 && double.TryParse(text[..^1], CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
            }
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero ? span
            : throw new StartupConfigurationException($"{name} {text} must be a duration such as 90s, 10m or 00:10:00");
    }
}

/// <summary>
/// `DrSentinel drill --scenario gray|hard|two-zones|flapping [--az ZONE] [--speed N] [--output DIR]`. On the sandbox region
/// (the development run) it loses a zone for real and measures RTO and RPO from the data (Drill/Live). Against a real
/// account it only plans: it reads the region and prints what each playbook would do for the loss of each zone, and
/// changes nothing.
/// </summary>
public static class DrillCommand
{
    public const string Verb = "drill";

    /// <summary>The host's settings for a drill: its own throwaway state, any free loopback port, live actions only on the sandbox.</summary>
    public static string[] HostArguments(string[] args, DrillOptions options, string stateDirectory)
    {
        string[] ownArguments = ["--scenario", "--az", "--speed", "--output", "--rto", "--rpo", "--fault", "--no-capacity-in"];
        var settings = args.Skip(1).Where((a, i) => !ownArguments.Contains(a) && (i == 0 || !ownArguments.Contains(args[i]))).ToList();
        return
        [
            .. settings, $"--Sandbox:Speed={options.Speed.ToString(CultureInfo.InvariantCulture)}", "--urls", "http://127.0.0.1:0",
            $"--Receiver:StateDirectory={stateDirectory}", "--Logging:LogLevel:Default=Warning",
        ];
    }

    /// <summary>Plan-only: every zone's loss, as each playbook would answer it now.</summary>
    public static async Task<int> PlanOnlyAsync(WebApplication app, TextWriter output)
    {
        await app.StartAsync();
        try
        {
            var store = app.Services.GetRequiredService<InventoryStore>();
            var time = app.Services.GetRequiredService<TimeProvider>();
            if (!await PreviewCommand.WaitForInventoryAsync(store, app.Services.GetServices<IInventorySource>().ToList(), time)) return 1;
            var snapshot = store.Current;
            var options = app.Services.GetRequiredService<IOptions<ActionOptions>>().Value;
            var now = time.GetUtcNow();
            await output.WriteLineAsync($"drill (plan only): no sandbox region here, so nothing is failed and nothing changed; what each playbook would do now if a zone were lost");
            var plans = new List<PlanView>();
            foreach (var zone in snapshot.Zones.Select(z => z.Zone))
            {
                await output.WriteLineAsync($"\n{zone} lost:");
                // As if each alert had fired a grace ago and AWS had not acted meanwhile.
                var preview = ActionEndpoints.Preview(app.Services.GetRequiredService<Planning.PlaybookTable>(), zone, snapshot, options, now);
                foreach (var plan in preview) await output.WriteLineAsync($"  {Line(plan)}");
                plans.AddRange(preview.Select(PlanView.From));
            }
            await output.WriteLineAsync("\n" + JsonSerializer.Serialize(plans.ToArray(), ActionEndpointJsonContext.Default.PlanViewArray));
            return 0;
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static string Line(Plan plan) =>
        $"{plan.Playbook}{(plan.Resource is null ? "" : $" {plan.Resource}")}: {plan.Verdict.ToString().ToLowerInvariant()} — {plan.Reason}"
        + string.Concat(plan.Steps.Select(s => $"\n    - {s.Describe()}"));

}
