using System.Collections.Immutable;
using System.Text.Json.Serialization;
using DrSentinel.Alerting;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

/// <summary>A plan as the preview shows it.</summary>
public sealed record PlanView(
    string Zone, string Intent, string Verdict, string Reason, int LostCapacity, int Shortfall, IReadOnlyList<StepView> Steps, IReadOnlyList<string> Findings)
{
    public string Playbook { get; init; } = "";

    /// <summary>The database a failover plan is for; null for the zone's capacity.</summary>
    public string? Resource { get; init; }

    /// <summary>In a preview, under the zone's capacity plan: what each database playbook would do for the same loss.</summary>
    public IReadOnlyList<PlanView>? Databases { get; init; }

    public static PlanView From(Plan plan) => new(plan.Zone, plan.Intent.Label(),
        plan.Verdict.ToString().ToLowerInvariant(), plan.Reason, plan.LostCapacity, plan.Shortfall,
        [.. plan.Steps.Select(s => new StepView(s.Action, s.Resource, s.Describe()))], plan.Findings) { Playbook = plan.Playbook, Resource = plan.Resource };

    /// <summary>A zone's preview: its capacity plan, with every other playbook's plans for the same loss under <see cref="Databases"/>.</summary>
    public static PlanView Preview(IReadOnlyList<Plan> plans) =>
        From(plans.First(p => p.Resource is null)) with { Databases = [.. plans.Where(p => p.Resource is not null).Select(From)] };
}

public sealed record StepView(string Action, string Resource, string Description);

public sealed record KillSwitchView(bool Engaged, bool ByConfiguration, bool AtRuntime);

[JsonSerializable(typeof(PlanView[]))]
[JsonSerializable(typeof(KillSwitchView))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
internal sealed partial class ActionEndpointJsonContext : JsonSerializerContext;

/// <summary>
/// The plan preview ("what would DrSentinel do if this zone failed now", for every zone or one) and the kill switch,
/// behind the operators' own credential (Receiver:OperatorTokenFile), never Alertmanager's. The preview never acts.
/// </summary>
public static partial class ActionEndpoints
{
    public static IEndpointRouteBuilder MapActions(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<ReceiverOptions>>().Value.Enabled) return app;
        app.MapGet("/actions/preview", async context =>
        {
            if (!await OperatorAuthentication.AuthenticatedAsync(context)) return;
            var store = context.RequestServices.GetRequiredService<InventoryStore>();
            var options = context.RequestServices.GetRequiredService<IOptions<ActionOptions>>().Value;
            var snapshot = store.Current;
            var zones = context.Request.Query["az"] is { Count: > 0 } az ? [az.ToString()] : snapshot.Zones.Select(z => z.Zone).ToArray();
            var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            var history = context.RequestServices.GetService<ActionHistory>();
            var playbooks = context.RequestServices.GetRequiredService<PlaybookTable>();
            var views = zones.Select(zone => PlanView.Preview(Preview(playbooks, zone, snapshot, options, now, history))).ToArray();
            await Results.Json(views, ActionEndpointJsonContext.Default.PlanViewArray).ExecuteAsync(context);
        });
        app.MapGet("/actions/kill-switch", async context =>
        {
            if (!await OperatorAuthentication.AuthenticatedAsync(context)) return;
            await Results.Json(View(context), ActionEndpointJsonContext.Default.KillSwitchView).ExecuteAsync(context);
        });
        app.MapPost("/actions/kill-switch", async context =>
        {
            if (!await OperatorAuthentication.AuthenticatedAsync(context)) return;
            var engaged = context.Request.Query["engaged"].ToString();
            if (engaged is not ("true" or "false"))
            {
                await Results.Json(new WebhookAnswer(0, 0, 0, "give ?engaged=true or ?engaged=false"), WebhookJsonContext.Default.WebhookAnswer, statusCode: 400).ExecuteAsync(context);
                return;
            }
            var killSwitch = context.RequestServices.GetRequiredService<KillSwitch>();
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ActionEndpoints).FullName!);
            try
            {
                await killSwitch.SetAsync(engaged == "true", $"{context.Connection.RemoteIpAddress} at {context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow():O}",
                    context.RequestAborted);
            }
            catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or IOException)
            {
                // Not recorded where the leader reads it: say so, so the operator does not believe the switch is set.
                LogKillSwitchFailed(logger, e);
                await Results.Json(new WebhookAnswer(0, 0, 0, $"the kill switch was not changed: {e.Message}; try again"), WebhookJsonContext.Default.WebhookAnswer,
                    statusCode: 503).ExecuteAsync(context);
                return;
            }
            LogKillSwitch(logger, engaged == "true" ? "engaged" : "released", context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            await Results.Json(View(context), ActionEndpointJsonContext.Default.KillSwitchView).ExecuteAsync(context);
        });
        return app;
    }

    /// <summary>
    /// What every playbook would do were <paramref name="zone"/> lost now, under the configured policy: the zone's capacity
    /// plan first, then each database failover or promotion (or why not). The TestFailover calls of the last day are the
    /// ones this process remembers.
    /// </summary>
    public static ImmutableArray<Plan> Preview(PlaybookTable playbooks, string zone, InventorySnapshot snapshot, ActionOptions options, DateTimeOffset now,
        ActionHistory? history = null) =>
        playbooks.Preview(zone, snapshot, options.Policy(), now, history is null ? 0 : ActionBudget.TestFailoversLast24Hours(history.Snapshot(), now));

    private static KillSwitchView View(HttpContext context)
    {
        var killSwitch = context.RequestServices.GetRequiredService<KillSwitch>();
        return new KillSwitchView(killSwitch.Engaged, killSwitch.EngagedByConfiguration, killSwitch.EngagedAtRuntime);
    }

    [LoggerMessage(EventId = EventIds.KillSwitchNotChanged, Level = LogLevel.Error, Message = "The kill switch could not be changed; answered 503")]
    private static partial void LogKillSwitchFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = EventIds.KillSwitchChanged, Level = LogLevel.Warning, Message = "Kill switch {State} by {Remote}")]
    private static partial void LogKillSwitch(ILogger logger, string state, string remote);
}
