using System.Globalization;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox.Aws;

/// <summary>The form parameters of an AWS Query request, with the protocol's list and structure flattening.</summary>
public sealed class QueryParameters(IReadOnlyDictionary<string, string> values)
{
    /// <summary>The access key that signed the request (null for unsigned operations).</summary>
    public string? Caller { get; init; }

    public string? Optional(string name) => values.GetValueOrDefault(name);

    public string Required(string name) =>
        values.TryGetValue(name, out var value) && value.Length > 0 ? value : throw AwsFaultException.MissingParameter(name);

    public int? OptionalInt(string name) => Optional(name) switch
    {
        null => null,
        var s when int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        var s => throw AwsFaultException.InvalidParameterValue($"Value '{s}' for parameter {name} is not a valid integer."),
    };

    public int RequiredInt(string name) => OptionalInt(name) ?? throw AwsFaultException.MissingParameter(name);

    public bool? OptionalBool(string name) => Optional(name)?.ToLowerInvariant() switch
    {
        null => null,
        "true" => true,
        "false" => false,
        var s => throw AwsFaultException.InvalidParameterValue($"Value '{s}' for parameter {name} is not a valid boolean."),
    };

    /// <summary>Members of a list: <c>{prefix}.{memberName}.1</c>, <c>.2</c>, … until the first gap; EC2 flattens (memberName "").</summary>
    public IReadOnlyList<string> List(string prefix, string memberName = "member")
    {
        var items = new List<string>();
        for (var i = 1; values.TryGetValue(ItemKey(prefix, memberName, i), out var value); i++) items.Add(value);
        return items;
    }

    private static string ItemKey(string prefix, string memberName, int index) =>
        memberName.Length == 0 ? $"{prefix}.{index}" : $"{prefix}.{memberName}.{index}";

    /// <summary>A list of structures: each entry is the parameter set under <c>{prefix}.{memberName}.N.</c>.</summary>
    public IReadOnlyList<QueryParameters> Structures(string prefix, string memberName = "member")
    {
        var items = new List<QueryParameters>();
        for (var i = 1; ; i++)
        {
            var itemPrefix = ItemKey(prefix, memberName, i) + ".";
            var fields = values.Where(kv => kv.Key.StartsWith(itemPrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[itemPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
            if (fields.Count == 0) return items;
            items.Add(new QueryParameters(fields));
        }
    }

    /// <summary>
    /// The window of a DescribeEvents call: StartTime/EndTime, or the last Duration minutes (default 60). RDS and
    /// ElastiCache keep 14 days of events, so a longer Duration is refused rather than overflowing a date.
    /// </summary>
    public (DateTimeOffset Start, DateTimeOffset End) EventWindow(DateTimeOffset now)
    {
        var end = Time("EndTime") ?? now;
        var duration = OptionalInt("Duration") ?? 60;
        if (duration is < 1 or > 14 * 24 * 60)
            throw AwsFaultException.InvalidParameterValue($"Duration {duration} is out of range: events are kept for 14 days (20160 minutes).");
        return (Time("StartTime") ?? end - TimeSpan.FromMinutes(duration), end);
    }

    private DateTimeOffset? Time(string name) => Optional(name) switch
    {
        null => null,
        var s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) => t,
        var s => throw AwsFaultException.InvalidParameterValue($"Value '{s}' for {name} is not a valid timestamp."),
    };

    /// <summary>One page of <paramref name="items"/> after the opaque <paramref name="marker"/>; the next marker or null.</summary>
    public static (IReadOnlyList<T> Page, string? Next) Paginate<T>(IReadOnlyList<T> items, string? marker, int pageSize)
    {
        var start = 0;
        if (marker is not null)
        {
            try
            {
                start = int.Parse(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(marker))["offset:".Length..], CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException or OverflowException)
            {
                throw AwsFaultException.InvalidParameterValue($"The marker '{marker}' is not valid.");
            }
            if (start < 0) throw AwsFaultException.InvalidParameterValue($"The marker '{marker}' is not valid.");
        }
        var page = items.Skip(start).Take(pageSize).ToList();
        var next = start + pageSize < items.Count
            ? Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"offset:{start + pageSize}"))
            : null;
        return (page, next);
    }
}
