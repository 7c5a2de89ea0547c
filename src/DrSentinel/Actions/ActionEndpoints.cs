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
    public static PlanView From(Plan plan) => new(plan.Zone, plan.Intent == PlanIntent.Evacuate ? "evacuate" : "restore",
        plan.Verdict.ToString().ToLowerInvariant(), plan.Reason, plan.LostCapacity, plan.Shortfall,
        [.. plan.Steps.Select(s => new StepView(s.Action, s.Resource, s.Describe()))], plan.Findings);
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
            if (!await AuthenticatedAsync(context)) return;
            var store = context.RequestServices.GetRequiredService<InventoryStore>();
            var options = context.RequestServices.GetRequiredService<IOptions<ActionOptions>>().Value;
            var snapshot = store.Current;
            var zones = context.Request.Query["az"] is { Count: > 0 } az ? [az.ToString()] : snapshot.Zones.Select(z => z.Zone).ToArray();
            var views = zones.Select(zone => PlanView.From(Preview(zone, snapshot, options))).ToArray();
            await Results.Json(views, ActionEndpointJsonContext.Default.PlanViewArray).ExecuteAsync(context);
        });
        app.MapGet("/actions/kill-switch", async context =>
        {
            if (!await AuthenticatedAsync(context)) return;
            await Results.Json(View(context), ActionEndpointJsonContext.Default.KillSwitchView).ExecuteAsync(context);
        });
        app.MapPost("/actions/kill-switch", async context =>
        {
            if (!await AuthenticatedAsync(context)) return;
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

    /// <summary>The evacuation plan for <paramref name="zone"/> as if it failed now, under the configured policy.</summary>
    public static Plan Preview(string zone, InventorySnapshot snapshot, ActionOptions options) =>
        EvacuationPlanner.PlanEvacuation(zone, ZoneFailure.Simulate(snapshot, zone), options.Policy());

    private static KillSwitchView View(HttpContext context)
    {
        var killSwitch = context.RequestServices.GetRequiredService<KillSwitch>();
        return new KillSwitchView(killSwitch.Engaged, killSwitch.EngagedByConfiguration, killSwitch.EngagedAtRuntime);
    }

    internal static async Task<bool> AuthenticatedAsync(HttpContext context)
    {
        if (context.RequestServices.GetRequiredService<WebhookAuthenticator>().AcceptsOperator(context)) return true;
        await Results.Json(new WebhookAnswer(0, 0, 0, "missing or wrong operator credential (Receiver:OperatorTokenFile; Alertmanager's is not accepted here)"),
            WebhookJsonContext.Default.WebhookAnswer, statusCode: 401).ExecuteAsync(context);
        return false;
    }

    [LoggerMessage(EventId = EventIds.KillSwitchNotChanged, Level = LogLevel.Error, Message = "The kill switch could not be changed; answered 503")]
    private static partial void LogKillSwitchFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = EventIds.KillSwitchChanged, Level = LogLevel.Warning, Message = "Kill switch {State} by {Remote}")]
    private static partial void LogKillSwitch(ILogger logger, string state, string remote);
}
