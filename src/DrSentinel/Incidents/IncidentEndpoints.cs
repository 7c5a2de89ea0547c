using System.Text.Json.Serialization;
using DrSentinel.Alerting;
using Microsoft.Extensions.Options;

namespace DrSentinel.Incidents;

/// <summary>An incident in a list: its milestones, not its timeline.</summary>
public sealed record IncidentSummary(
    string Id, string Zone, bool Open, DateTimeOffset Began, DateTimeOffset? FirstSignal, DateTimeOffset? AlertFired, DateTimeOffset? FirstAction,
    IReadOnlyDictionary<string, DateTimeOffset> PrimaryWritable, DateTimeOffset? ZoneRecovered, DateTimeOffset? Restored, DateTimeOffset? Closed, int Entries)
{
    public static IncidentSummary From(Incident i) => new(i.Id, i.Zone, i.Open, i.Began, i.FirstSignal, i.AlertFired, i.FirstAction, i.PrimaryWritable,
        i.ZoneRecovered, i.Restored, i.Closed, i.Timeline.Length);
}

/// <summary>An incident with its timeline.</summary>
public sealed record IncidentView(IncidentSummary Summary, IReadOnlyList<TimelineEntry> Timeline);

[JsonSerializable(typeof(IncidentSummary[]))]
[JsonSerializable(typeof(IncidentView))]
[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class IncidentViewJsonContext : JsonSerializerContext;

/// <summary>GET /incidents (newest first) and GET /incidents/{id}; read-only, behind the operators' credential as the preview is.</summary>
public static class IncidentEndpoints
{
    public static IEndpointRouteBuilder MapIncidents(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<ReceiverOptions>>().Value.Enabled) return app;
        app.MapGet("/incidents", async context =>
        {
            if (!await OperatorAuthentication.AuthenticatedAsync(context)) return;
            var incidents = context.RequestServices.GetRequiredService<IncidentLog>().All().Select(IncidentSummary.From).ToArray();
            await Results.Json(incidents, IncidentViewJsonContext.Default.IncidentSummaryArray).ExecuteAsync(context);
        });
        app.MapGet("/incidents/{id}", async context =>
        {
            var id = (string)context.Request.RouteValues["id"]!;
            if (!await OperatorAuthentication.AuthenticatedAsync(context)) return;
            if (context.RequestServices.GetRequiredService<IncidentLog>().Find(id) is not { } incident)
            {
                await Results.Json(new WebhookAnswer(0, 0, 0, $"no incident {id} is kept here (GET /incidents lists them)"), WebhookJsonContext.Default.WebhookAnswer,
                    statusCode: 404).ExecuteAsync(context);
                return;
            }
            await Results.Json(new IncidentView(IncidentSummary.From(incident), incident.Timeline), IncidentViewJsonContext.Default.IncidentView).ExecuteAsync(context);
        });
        return app;
    }
}
