using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrSentinel.Alerting;

/// <summary>Alertmanager's webhook body, version 4, as sent; every field optional here so that what is missing is named.</summary>
internal sealed class NotificationBody
{
    public string? Version { get; set; }
    public string? Receiver { get; set; }
    public string? Status { get; set; }
    public string? GroupKey { get; set; }
    public int? TruncatedAlerts { get; set; }
    [JsonPropertyName("externalURL")]
    public string? ExternalUrl { get; set; }
    public List<AlertBody?>? Alerts { get; set; }
}

internal sealed class AlertBody
{
    public string? Status { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public string? StartsAt { get; set; }
    public string? EndsAt { get; set; }
    [JsonPropertyName("generatorURL")]
    public string? GeneratorUrl { get; set; }
    public string? Fingerprint { get; set; }
}

/// <summary>One alert of a notification, checked: DrSentinel decides per alert, by the alert's own status.</summary>
public sealed record ReceivedAlert(
    string Name, bool Firing, ImmutableSortedDictionary<string, string> Labels, DateTimeOffset StartsAt, DateTimeOffset? EndsAt,
    string Fingerprint, string? GeneratorUrl, string GroupKey)
{
    /// <summary>
    /// The fingerprint hashes the labels only, so the same alert firing again later has the same one: with its start and
    /// its status it names one delivery, whichever Alertmanager peer sends it and however often.
    /// </summary>
    public string DedupKey => string.Create(CultureInfo.InvariantCulture, $"{Fingerprint}|{StartsAt.UtcDateTime:O}|{(Firing ? "firing" : "resolved")}");

    /// <summary>The alert episode (fingerprint and start), shared by its firing and its resolution.</summary>
    public string Episode => string.Create(CultureInfo.InvariantCulture, $"{Fingerprint}@{StartsAt.UtcDateTime:O}");
}

public sealed record Notification(string Receiver, string GroupKey, int TruncatedAlerts, ImmutableArray<ReceivedAlert> Alerts);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(NotificationBody))]
internal sealed partial class NotificationJsonContext : JsonSerializerContext;

/// <summary>Strict reading of a webhook body: anything off is a <see cref="FormatException"/> whose message names the field.</summary>
public static class NotificationParser
{
    public static Notification Parse(ReadOnlySpan<byte> utf8)
    {
        // Syntax first, so that a cut-off body is called what it is rather than a wrong type at "$".
        var reader = new Utf8JsonReader(utf8, isFinalBlock: true, state: default);
        try
        {
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON (line {e.LineNumber}, byte {e.BytePositionInLine})");
        }
        NotificationBody? body;
        try
        {
            body = JsonSerializer.Deserialize(utf8, NotificationJsonContext.Default.NotificationBody);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{e.Path ?? "$"}: not the JSON type Alertmanager sends there (line {e.LineNumber}, byte {e.BytePositionInLine})");
        }
        if (body is null) throw new FormatException("the body is JSON null, not a notification object");
        if (body.Version is null) throw new FormatException("$.version is missing");
        if (body.Version != "4") throw new FormatException($"$.version is \"{Clip(body.Version)}\"; DrSentinel reads version \"4\" (Alertmanager 0.x webhook)");
        Status(body.Status, "$.status");
        if (body.Alerts is null) throw new FormatException("$.alerts is missing");
        if (body.TruncatedAlerts is < 0) throw new FormatException("$.truncatedAlerts is negative");
        var groupKey = body.GroupKey ?? throw new FormatException("$.groupKey is missing");
        var alerts = ImmutableArray.CreateBuilder<ReceivedAlert>(body.Alerts.Count);
        for (var i = 0; i < body.Alerts.Count; i++)
        {
            var at = $"$.alerts[{i}]";
            var alert = body.Alerts[i] ?? throw new FormatException($"{at} is null");
            var firing = Status(alert.Status, $"{at}.status");
            var labels = alert.Labels ?? throw new FormatException($"{at}.labels is missing");
            if (!labels.TryGetValue("alertname", out var name) || name.Length == 0) throw new FormatException($"{at}.labels.alertname is missing");
            var fingerprint = alert.Fingerprint is { Length: > 0 } f ? f : throw new FormatException($"{at}.fingerprint is missing");
            if (fingerprint.Length > 64 || !fingerprint.All(char.IsAsciiHexDigit)) throw new FormatException($"{at}.fingerprint is not a hexadecimal fingerprint");
            var startsAt = Time(alert.StartsAt, $"{at}.startsAt") ?? throw new FormatException($"{at}.startsAt is missing");
            var endsAt = Time(alert.EndsAt, $"{at}.endsAt");
            alerts.Add(new ReceivedAlert(name, firing, labels.ToImmutableSortedDictionary(StringComparer.Ordinal), startsAt,
                endsAt is { Year: > 1 } ? endsAt : null, fingerprint, alert.GeneratorUrl, groupKey));
        }
        return new Notification(body.Receiver ?? "", groupKey, body.TruncatedAlerts ?? 0, alerts.MoveToImmutable());
    }

    private static bool Status(string? status, string at) => status switch
    {
        "firing" => true,
        "resolved" => false,
        null => throw new FormatException($"{at} is missing"),
        _ => throw new FormatException($"{at} is \"{Clip(status)}\", not \"firing\" or \"resolved\""),
    };

    private static DateTimeOffset? Time(string? value, string at) =>
        value is null ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time) && value.Contains('T', StringComparison.Ordinal)
            ? time
            : throw new FormatException($"{at} is \"{Clip(value)}\", not an RFC 3339 time");

    /// <summary>What of a bad value goes back in an error: enough to recognise it, never a whole payload.</summary>
    private static string Clip(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
