using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace DrSentinel.Alerting;

/// <summary>One alert of a notification, checked: DrSentinel decides per alert, by the alert's own status.</summary>
/// <remarks>The labels are the parsed ones, read only from here on.</remarks>
public sealed record ReceivedAlert(
    string Name, bool Firing, IReadOnlyDictionary<string, string> Labels, DateTimeOffset StartsAt, DateTimeOffset? EndsAt,
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

/// <summary>
/// Strict reading of an Alertmanager webhook body (version 4): anything off is a <see cref="FormatException"/> whose
/// message names the field by its JSON path; fields DrSentinel does not use are skipped unread. One pass over the
/// bytes with <see cref="Utf8JsonReader"/>: a repeated group of a hundred alerts is read in tens of microseconds.
/// </summary>
public static class NotificationParser
{
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    public static Notification Parse(byte[] utf8) => Parse(new ReadOnlySequence<byte>(utf8));

    /// <summary>Reads a body as the request's pipe holds it, in one or more segments.</summary>
    public static Notification Parse(ReadOnlySequence<byte> utf8)
    {
        // All of it, skipped fields too: the reader only checks the UTF-8 of the strings it is asked for.
        if (InvalidUtf8At(utf8) is { } at) throw new FormatException($"the body is not valid UTF-8 (byte {at})");
        try
        {
            return Read(utf8);
        }
        catch (JsonException e)
        {
            throw new FormatException(Invalid(e));
        }
        catch (InvalidOperationException)
        {
            // The reader's word for a string it cannot give as text: an escaped lone surrogate such as "\ud800".
            throw new FormatException("a string holds an escaped lone surrogate (\\uD800-\\uDFFF), not text");
        }
        catch (FormatException) when (SyntaxError(utf8) is { } syntax)
        {
            // A cut-off body is called what it is, not a wrong type met on the way to where it was cut.
            throw new FormatException(syntax);
        }
    }

    private static Notification Read(ReadOnlySequence<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read()) throw new FormatException("the body is empty");
        if (reader.TokenType == JsonTokenType.Null) throw new FormatException("the body is JSON null, not a notification object");
        if (reader.TokenType != JsonTokenType.StartObject) throw WrongType("$");
        string? version = null, receiver = null, status = null, groupKey = null;
        var truncated = 0;
        List<AlertFields>? alerts = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("version"u8)) version = String(ref reader, -1, "version");
            else if (reader.ValueTextEquals("receiver"u8)) receiver = String(ref reader, -1, "receiver");
            else if (reader.ValueTextEquals("status"u8)) status = String(ref reader, -1, "status");
            else if (reader.ValueTextEquals("groupKey"u8)) groupKey = String(ref reader, -1, "groupKey");
            else if (reader.ValueTextEquals("truncatedAlerts"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out truncated)) throw WrongType("$.truncatedAlerts");
            }
            else if (reader.ValueTextEquals("alerts"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null) continue;
                if (reader.TokenType != JsonTokenType.StartArray) throw WrongType("$.alerts");
                alerts = [];
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) alerts.Add(Alert(ref reader, alerts.Count));
            }
            else
            {
                reader.Read();
                reader.Skip(); // a field DrSentinel does not use, today's or a future version's
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject) throw new FormatException("the body ends inside the notification object");
        try
        {
            if (reader.Read()) throw new FormatException($"data after the notification object (byte {reader.TokenStartIndex})");
        }
        catch (JsonException)
        {
            throw new FormatException($"data after the notification object (byte {reader.BytesConsumed})");
        }
        if (version is null) throw new FormatException("$.version is missing");
        if (version != "4") throw new FormatException($"$.version is \"{Clip(version)}\"; DrSentinel reads version \"4\" (Alertmanager 0.x webhook)");
        Status(status, -1, "status");
        if (alerts is null) throw new FormatException("$.alerts is missing");
        if (truncated < 0) throw new FormatException("$.truncatedAlerts is negative");
        if (groupKey is null) throw new FormatException("$.groupKey is missing");
        var checkedAlerts = ImmutableArray.CreateBuilder<ReceivedAlert>(alerts.Count);
        for (var i = 0; i < alerts.Count; i++) checkedAlerts.Add(Check(alerts[i], i, groupKey));
        return new Notification(receiver ?? "", groupKey, truncated, checkedAlerts.MoveToImmutable());
    }

    /// <summary>An alert's fields as read, checked once the group key (which may come after the alerts) is known.</summary>
    private sealed class AlertFields
    {
        public string? Status;
        public Dictionary<string, string>? Labels;
        public DateTimeOffset? StartsAt;
        public DateTimeOffset? EndsAt;
        public string? GeneratorUrl;
        public string? Fingerprint;
    }

    private static AlertFields Alert(ref Utf8JsonReader reader, int index)
    {
        if (reader.TokenType == JsonTokenType.Null) throw Bad(index, "", "is null");
        if (reader.TokenType != JsonTokenType.StartObject) throw WrongType(Path(index, ""));
        var alert = new AlertFields();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("status"u8)) alert.Status = Status(ref reader, index);
            else if (reader.ValueTextEquals("labels"u8)) alert.Labels = Labels(ref reader, index);
            else if (reader.ValueTextEquals("startsAt"u8)) alert.StartsAt = Time(ref reader, index, "startsAt");
            else if (reader.ValueTextEquals("endsAt"u8)) alert.EndsAt = Time(ref reader, index, "endsAt");
            else if (reader.ValueTextEquals("generatorURL"u8)) alert.GeneratorUrl = String(ref reader, index, "generatorURL");
            else if (reader.ValueTextEquals("fingerprint"u8)) alert.Fingerprint = String(ref reader, index, "fingerprint");
            else
            {
                reader.Read();
                reader.Skip(); // annotations and anything new
            }
        }
        return alert;
    }

    private static ReceivedAlert Check(AlertFields alert, int index, string groupKey)
    {
        var firing = Status(alert.Status, index, "status");
        var labels = alert.Labels ?? throw Bad(index, "labels", "is missing");
        if (!labels.TryGetValue("alertname", out var name) || name.Length == 0) throw Bad(index, "labels.alertname", "is missing");
        var fingerprint = alert.Fingerprint is { Length: > 0 } f ? f : throw Bad(index, "fingerprint", "is missing");
        if (fingerprint.Length > 64 || fingerprint.AsSpan().ContainsAnyExcept(HexDigits)) throw Bad(index, "fingerprint", "is not a hexadecimal fingerprint");
        var startsAt = alert.StartsAt ?? throw Bad(index, "startsAt", "is missing");
        return new ReceivedAlert(name, firing, labels, startsAt, alert.EndsAt is { Year: > 1 } end ? end : null, fingerprint, alert.GeneratorUrl, groupKey);
    }

    /// <summary>An alert's status, without a new string for the two values it can have.</summary>
    private static string? Status(ref Utf8JsonReader reader, int index)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("firing"u8)) return "firing";
        if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("resolved"u8)) return "resolved";
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw WrongType(Path(index, "status")),
        };
    }

    private static Dictionary<string, string>? Labels(ref Utf8JsonReader reader, int index)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject) throw WrongType(Path(index, "labels"));
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = KnownLabel(ref reader) ?? reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String) throw WrongType(Path(index, "labels." + name));
            labels[name] = reader.GetString()!;
        }
        return labels;
    }

    /// <summary>The labels every DrSentinel alert carries, without a new string each time.</summary>
    private static string? KnownLabel(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("alertname"u8) ? "alertname"
        : reader.ValueTextEquals("az"u8) ? "az"
        : reader.ValueTextEquals("cluster"u8) ? "cluster"
        : reader.ValueTextEquals("severity"u8) ? "severity"
        : null;

    /// <summary>Reads the value after a property name: a string or null (the path is only formatted for an error).</summary>
    private static string? String(ref Utf8JsonReader reader, int index, string field)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw WrongType(Path(index, field)),
        };
    }

    /// <summary>An RFC 3339 time as Go writes it (Alertmanager): a date, a time and a zone; nothing less is a point in time.</summary>
    private static DateTimeOffset? Time(ref Utf8JsonReader reader, int index, string field)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.String) throw WrongType(Path(index, field));
        if (!reader.ValueIsEscaped && IsRfc3339(reader.ValueSpan) && reader.TryGetDateTimeOffset(out var time)) return time;
        throw Bad(index, field, $"is \"{Clip(reader.GetString()!)}\", not an RFC 3339 time with a zone (2026-01-01T00:00:00Z)");
    }

    /// <summary>YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM), by shape, upper-case T and Z as Go writes them; the values are checked by the parser after it.</summary>
    internal static bool IsRfc3339(ReadOnlySpan<byte> text)
    {
        static bool Digits(ReadOnlySpan<byte> s) => s.Length > 0 && !s.ContainsAnyExceptInRange((byte)'0', (byte)'9');
        if (text.Length < 20 || !Digits(text[..4]) || text[4] != '-' || !Digits(text[5..7]) || text[7] != '-' || !Digits(text[8..10])
            || text[10] != 'T' || !Digits(text[11..13]) || text[13] != ':' || !Digits(text[14..16]) || text[16] != ':' || !Digits(text[17..19]))
            return false;
        var rest = text[19..];
        if (rest[0] == '.')
        {
            var digits = rest[1..].IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            if (digits <= 0) return false;
            rest = rest[(1 + digits)..];
        }
        return rest.Length == 1 ? rest[0] == 'Z'
            : rest.Length == 6 && rest[0] is (byte)'+' or (byte)'-' && Digits(rest[1..3]) && rest[3] == ':' && Digits(rest[4..6]);
    }

    /// <summary>Where the first byte that is not UTF-8 is, or null; a character split between two segments is read whole.</summary>
    private static long? InvalidUtf8At(ReadOnlySequence<byte> utf8)
    {
        if (utf8.IsSingleSegment) return Utf8.IsValid(utf8.FirstSpan) ? null : FirstInvalid(utf8.FirstSpan);
        var allValid = true;
        foreach (var segment in utf8) allValid &= Utf8.IsValid(segment.Span);
        if (allValid) return null;
        var whole = utf8.ToArray(); // rare: only a body whose segments split a character, or a bad one
        return Utf8.IsValid(whole) ? null : FirstInvalid(whole);
    }

    private static long FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        var at = 0;
        while (at < bytes.Length && Rune.DecodeFromUtf8(bytes[at..], out _, out var length) == OperationStatus.Done) at += length;
        return at;
    }

    private static bool Status(string? status, int index, string field) => status switch
    {
        "firing" => true,
        "resolved" => false,
        null => throw Bad(index, field, "is missing"),
        _ => throw Bad(index, field, $"is \"{Clip(status)}\", not \"firing\" or \"resolved\""),
    };

    private static string? SyntaxError(ReadOnlySequence<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, default);
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0 && reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray) return null;
            }
            return null;
        }
        catch (JsonException e)
        {
            return Invalid(e);
        }
    }

    private static string Invalid(JsonException e) => $"not valid JSON (line {e.LineNumber}, byte {e.BytePositionInLine})";

    /// <summary>The JSON path of a field of alert <paramref name="index"/> (-1: of the notification itself).</summary>
    private static string Path(int index, string field)
    {
        var at = index < 0 ? "$" : string.Create(CultureInfo.InvariantCulture, $"$.alerts[{index}]");
        return field.Length == 0 ? at : $"{at}.{field}";
    }

    private static FormatException Bad(int index, string field, string problem) => new($"{Path(index, field)} {problem}");

    private static FormatException WrongType(string path) => new($"{path}: not the JSON type Alertmanager sends there");

    /// <summary>What of a bad value goes back in an error: enough to recognise it, never a whole payload.</summary>
    private static string Clip(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
