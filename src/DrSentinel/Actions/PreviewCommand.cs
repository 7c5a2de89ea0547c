using System.Text.Json;
using DrSentinel.Inventory;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

/// <summary>
/// `DrSentinel preview [--az ZONE]`: reads the inventory once, prints what every playbook would do for each zone (or one)
/// as if it failed now — the capacity plan, and under it each database failover — and exits. It never acts: the receiver and the engine are not even started.
/// </summary>
public static class PreviewCommand
{
    public const string Verb = "preview";
    private static readonly TimeSpan InventoryWait = TimeSpan.FromSeconds(60);

    /// <summary>The host's arguments for a preview: no webhook, no engine, any free loopback port.</summary>
    public static string[] HostArguments(string[] args) => [.. args.Skip(1), "--Receiver:Enabled=false", "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"];

    /// <summary>Waits for every source's first refresh; false, said on stderr, when it does not come within a minute.</summary>
    public static async Task<bool> WaitForInventoryAsync(InventoryStore store, IReadOnlyList<IInventorySource> sources, TimeProvider time)
    {
        if (await store.WaitForFirstRefreshAsync(sources, InventoryWait, time) is not { Count: > 0 } missing) return true;
        await Console.Error.WriteLineAsync($"drsentinel: no complete inventory after {InventoryWait.TotalSeconds:F0} s (waiting for {string.Join(", ", missing)})");
        return false;
    }

    public static async Task<int> RunAsync(WebApplication app, TextWriter output)
    {
        await app.StartAsync();
        try
        {
            var store = app.Services.GetRequiredService<InventoryStore>();
            if (!await WaitForInventoryAsync(store, app.Services.GetServices<IInventorySource>().ToList(), app.Services.GetRequiredService<TimeProvider>())) return 1;
            var snapshot = store.Current;
            var options = app.Services.GetRequiredService<IOptions<ActionOptions>>().Value;
            var zone = app.Configuration["az"];
            var zones = zone is { Length: > 0 } ? [zone] : snapshot.Zones.Select(z => z.Zone).ToArray();
            var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
            var plans = zones.Select(z => PlanView.Preview(ActionEndpoints.Preview(app.Services.GetRequiredService<Planning.PlaybookTable>(), z, snapshot, options, now))).ToArray();
            await output.WriteLineAsync(JsonSerializer.Serialize(plans, ActionEndpointJsonContext.Default.PlanViewArray));
            return 0;
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
