using System.Globalization;

namespace DrSentinel.Planning;

/// <summary>
/// What DrSentinel records on a database resource before it fails it over: the zone it moved the primary out of, the
/// alert episode (the incident) and when. One failover per resource per incident: a plan that finds its own episode
/// here does not fail over again. Written as the tag value <c>eu-central-1a fingerprint@start 2026-11-25T03:02:00.0000000+00:00</c>.
/// </summary>
public sealed record FailoverLedger(string FromZone, string Episode, DateTimeOffset At)
{
    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{FromZone} {Episode} {At.ToUniversalTime():O}");

    /// <summary>Reads a value written by <see cref="Format"/>; null for anything else.</summary>
    public static FailoverLedger? Parse(string? value)
    {
        var parts = value?.Split(' ');
        return parts is [var zone, var episode, var at] && zone.Length > 0 && episode.Length > 0
               && DateTimeOffset.TryParseExact(at, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time)
            ? new FailoverLedger(zone, episode, time)
            : null;
    }

    public static FailoverLedger? From(IReadOnlyDictionary<string, string> tags) => Parse(tags.GetValueOrDefault(LedgerKeys.FailedOver));
}
