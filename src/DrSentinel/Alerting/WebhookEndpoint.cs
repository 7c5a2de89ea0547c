using System.Diagnostics;
using System.Text.Json.Serialization;
using DrSentinel.Inventory;
using DrSentinel.Metrics;
using DrSentinel.Planning;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace DrSentinel.Alerting;

/// <summary>What the webhook answers: how many alerts it took, and why it left the others.</summary>
public sealed record WebhookAnswer(int Accepted, int Duplicates, int Ignored, string? Error = null);

[JsonSerializable(typeof(WebhookAnswer))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class WebhookJsonContext : JsonSerializerContext;

/// <summary>
/// The Alertmanager webhook. Status codes follow Alertmanager's retries (5xx and transport errors are sent again, 4xx
/// never): a malformed or unauthenticated body is 4xx and changes nothing; a full queue or a disk that will not take
/// the alert is 503. 202 means every actionable alert in the body is on disk (all or none are taken); acting happens after the answer.
/// </summary>
public static partial class WebhookEndpoint
{
    public static IEndpointRouteBuilder MapAlertmanagerWebhook(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<ReceiverOptions>>().Value;
        if (!options.Enabled) return app;
        app.MapPost(options.Path, async context => await (await HandleAsync(context)).ExecuteAsync(context));
        if (app.ServiceProvider.GetRequiredService<WebhookAuthenticator>().Scheme is null)
            LogInsecure(app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebhookEndpoint).FullName!), options.Path);
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext context)
    {
        // The root of the alert's trace, which the engine continues (webhook → plan → each step → each API call): under
        // the caller's traceparent if it sent one, never under ASP.NET Core's own unrecorded request activity.
        ActivityContext.TryParse(context.Request.Headers["traceparent"], context.Request.Headers["tracestate"], isRemote: true, out var caller);
        Activity.Current = null;
        using var activity = Observability.Source.StartActivity("alertmanager webhook", ActivityKind.Server, caller);
        var services = context.RequestServices;
        var authenticator = services.GetRequiredService<WebhookAuthenticator>();
        var inbox = services.GetRequiredService<AlertInbox>();
        var metrics = services.GetRequiredService<ActionMetrics>();
        var receiverOptions = services.GetRequiredService<IOptions<ReceiverOptions>>();
        var inventoryOptions = services.GetRequiredService<IOptions<InventoryOptions>>();
        var playbooks = services.GetRequiredService<PlaybookTable>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebhookEndpoint).FullName!);
        var options = receiverOptions.Value;
        if (!authenticator.Accepts(context)) return Answer(metrics, logger, StatusCodes.Status401Unauthorized, "missing or wrong credential");
        if (!IsJson(context.Request.ContentType))
            return Answer(metrics, logger, StatusCodes.Status415UnsupportedMediaType, $"Content-Type must be application/json (charset utf-8 if any), not '{context.Request.ContentType}'");
        if (context.Request.ContentLength > options.MaxBodyBytes) return Answer(metrics, logger, StatusCodes.Status413PayloadTooLarge, $"the body is over {options.MaxBodyBytes} bytes");
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = options.MaxBodyBytes;

        Notification notification;
        try
        {
            // The whole body, as the pipe holds it: no copy (Kestrel stops it at MaxBodyBytes with a 413).
            var pipe = context.Request.BodyReader;
            var read = await pipe.ReadAsync(context.RequestAborted);
            while (!read.IsCompleted)
            {
                pipe.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                read = await pipe.ReadAsync(context.RequestAborted);
            }
            try
            {
                notification = NotificationParser.Parse(read.Buffer);
            }
            finally
            {
                pipe.AdvanceTo(read.Buffer.End);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Answer(metrics, logger, StatusCodes.Status413PayloadTooLarge, $"the body is over {options.MaxBodyBytes} bytes");
        }
        catch (BadHttpRequestException e)
        {
            return Answer(metrics, logger, StatusCodes.Status400BadRequest, $"the body could not be read: {e.Message}");
        }
        catch (FormatException e)
        {
            return Answer(metrics, logger, StatusCodes.Status400BadRequest, e.Message);
        }
        if (notification.TruncatedAlerts > 0) LogTruncated(logger, notification.GroupKey, notification.TruncatedAlerts);

        // Counted per kind once per request: a group of a hundred alerts Alertmanager repeats is one increment, not a hundred.
        var counts = new Dictionary<(string Playbook, bool Firing, string Outcome), int>();
        void Count(AlertRoute route, bool firing, string outcome) => counts[(route.Playbook, firing, outcome)] = counts.GetValueOrDefault((route.Playbook, firing, outcome)) + 1;
        void Publish()
        {
            foreach (var ((playbook, firing, outcome), count) in counts) metrics.AlertsReceived(playbook, firing, outcome, count);
            counts.Clear();
        }
        var actionable = new List<(ReceivedAlert Alert, AlertRoute Route)>(notification.Alerts.Length);
        foreach (var alert in notification.Alerts)
        {
            if (alert.Name == Heartbeat.AlertName)
            {
                // Proof of the path, never an action: counted as such, and only this cluster's.
                var ours = !alert.Labels.TryGetValue("cluster", out var cluster) || cluster.Length == 0 || cluster == inventoryOptions.Value.ClusterName;
                if (ours && alert.Firing) services.GetRequiredService<Heartbeat>().Received();
                Count(AlertRoute.Ignore("heartbeat"), alert.Firing, ours ? "heartbeat" : "other-cluster");
                continue;
            }
            var route = playbooks.Route(alert.Name, alert.Firing, alert.Labels, inventoryOptions.Value.ClusterName);
            if (route.Actionable) actionable.Add((alert, route));
            else Count(route, alert.Firing, route.IgnoredBecause!);
        }
        var ignored = notification.Alerts.Length - actionable.Count;
        Publish(); // the ignored ones, counted whatever the inbox answers
        IReadOnlyList<AcceptOutcome> outcomes;
        try
        {
            outcomes = actionable.Count == 0 ? [] : await inbox.AcceptAsync(actionable.ConvertAll(a => a.Alert), Activity.Current?.Id, context.RequestAborted);
        }
        catch (InboxFullException e)
        {
            return Answer(metrics, logger, StatusCodes.Status503ServiceUnavailable, e.Message, ignored: ignored);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogNotDurable(logger, e);
            return Answer(metrics, logger, StatusCodes.Status503ServiceUnavailable, "the alerts could not be stored; send them again", ignored: ignored);
        }
        var accepted = 0;
        for (var i = 0; i < actionable.Count; i++)
        {
            var (alert, route) = actionable[i];
            var taken = outcomes[i] == AcceptOutcome.Accepted;
            Count(route, alert.Firing, taken ? "accepted" : "duplicate");
            if (!taken) continue;
            accepted++;
            LogAccepted(logger, alert.Name, alert.Firing ? "firing" : "resolved", route.Zone!, alert.Fingerprint);
        }
        Publish();
        if (accepted > 0) context.RequestServices.GetRequiredService<AlertmanagerReconciler>().RequestFromFollower();
        var duplicates = actionable.Count - accepted;
        metrics.WebhookAnswered(StatusCodes.Status202Accepted);
        return Results.Json(new WebhookAnswer(accepted, duplicates, ignored), WebhookJsonContext.Default.WebhookAnswer, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>Exactly application/json, as Alertmanager sends it: not application/jsonl nor application/json-patch+json.</summary>
    internal static bool IsJson(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var type)
        && type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        && (type.Charset.Length == 0 || type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    private static IResult Answer(ActionMetrics metrics, ILogger logger, int status, string error, int accepted = 0, int duplicates = 0, int ignored = 0)
    {
        metrics.WebhookAnswered(status);
        LogRefused(logger, status, error);
        return Results.Json(new WebhookAnswer(accepted, duplicates, ignored, error), WebhookJsonContext.Default.WebhookAnswer, statusCode: status);
    }

    [LoggerMessage(EventId = EventIds.ReceiverInsecure, Level = LogLevel.Warning,
        Message = "The webhook {Path} accepts notifications without a credential (Receiver:AllowUnauthenticated): keep it on loopback")]
    private static partial void LogInsecure(ILogger logger, string path);

    [LoggerMessage(EventId = EventIds.WebhookRefused, Level = LogLevel.Warning, Message = "Webhook answered {Status}: {Error}")]
    private static partial void LogRefused(ILogger logger, int status, string error);

    [LoggerMessage(EventId = EventIds.WebhookAccepted, Level = LogLevel.Information, Message = "Accepted {AlertName} ({AlertStatus}) for {Az}, fingerprint {Fingerprint}")]
    private static partial void LogAccepted(ILogger logger, string alertName, string alertStatus, string az, string fingerprint);

    [LoggerMessage(EventId = EventIds.WebhookTruncated, Level = LogLevel.Warning, Message = "Alertmanager left {Count} alert(s) out of group {GroupKey} (max_alerts): DrSentinel cannot act on what it was not sent")]
    private static partial void LogTruncated(ILogger logger, string groupKey, int count);

    [LoggerMessage(EventId = EventIds.WebhookNotDurable, Level = LogLevel.Error, Message = "An alert could not be written to the state directory; answered 503 so Alertmanager sends it again")]
    private static partial void LogNotDurable(ILogger logger, Exception exception);
}
