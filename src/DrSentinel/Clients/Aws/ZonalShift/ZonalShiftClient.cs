using System.Collections.Immutable;
using System.Text.Json;

namespace DrSentinel.Clients.Aws.ZonalShift;

/// <summary>One zonal shift of a resource: away from the zone named <see cref="AwayFrom"/> (ARC gives its ID) until <see cref="ExpiryTime"/>; <see cref="Status"/> is ACTIVE, EXPIRED or CANCELED (APPLIED inside a resource).</summary>
public sealed record ZonalShiftDescription(string Id, string ResourceIdentifier, string AwayFrom, string Comment, DateTimeOffset StartTime, DateTimeOffset ExpiryTime, string Status)
{
    /// <summary>ZONAL_SHIFT (a customer's, the default when ARC omits it), PRACTICE_RUN, FIS_EXPERIMENT or ZONAL_AUTOSHIFT.</summary>
    public string ShiftType { get; init; } = "ZONAL_SHIFT";
}

/// <summary>A resource registered with zonal shift: its traffic weight per zone, by name (0 where a shift moved it away) and its active shifts.</summary>
public sealed record ManagedResourceDescription(string Arn, string Name, ImmutableSortedDictionary<string, double> AppliedWeights, IReadOnlyList<ZonalShiftDescription> ZonalShifts);

/// <summary>What DrSentinel reads from ARC zonal shift (IAM: arc-zonal-shift:GetManagedResource).</summary>
public interface IZonalShiftReader
{
    Task<ManagedResourceDescription> GetManagedResourceAsync(string resourceArn, CancellationToken cancel);
}

/// <summary>What only the action engine may do (IAM: arc-zonal-shift:StartZonalShift, UpdateZonalShift, CancelZonalShift).</summary>
public interface IZonalShiftActions
{
    Task<ZonalShiftDescription> StartZonalShiftAsync(string resourceArn, string awayFrom, string expiresIn, string comment, CancellationToken cancel);
    Task<ZonalShiftDescription> UpdateZonalShiftAsync(string zonalShiftId, string expiresIn, string comment, CancellationToken cancel);
    Task<ZonalShiftDescription> CancelZonalShiftAsync(string zonalShiftId, CancellationToken cancel);
}

public interface IZonalShiftClient : IZonalShiftReader, IZonalShiftActions;

/// <summary>
/// Amazon Application Recovery Controller zonal shift (API 2022-10-30, REST-JSON). ARC names zones by ID (awayFrom,
/// appliedWeights, a resource's zones); this client speaks zone names to DrSentinel and IDs to ARC, through the account's
/// own map (<see cref="ZoneIdMap"/>).
/// </summary>
public sealed class ZonalShiftClient(AwsQueryClient aws, ZoneIdMap zones) : IZonalShiftClient
{
    public const string SigningName = "arc-zonal-shift";
    private static readonly Dictionary<string, string> NoLabels = [];

    public async Task<ManagedResourceDescription> GetManagedResourceAsync(string resourceArn, CancellationToken cancel)
    {
        var answer = await aws.SendJsonAsync(SigningName, "GetManagedResource", HttpMethod.Get, "/managedresources/{resourceIdentifier}",
            new Dictionary<string, string> { ["resourceIdentifier"] = resourceArn }, null, idempotent: true, cancel);
        var name = await NameOfIdAsync(cancel).ConfigureAwait(false);
        var weights = answer.TryGetProperty("appliedWeights", out var w) && w.ValueKind == JsonValueKind.Object
            ? w.EnumerateObject().ToImmutableSortedDictionary(p => name(p.Name), p => p.Value.GetDouble(), StringComparer.Ordinal)
            : ImmutableSortedDictionary<string, double>.Empty;
        var shifts = answer.TryGetProperty("zonalShifts", out var z) && z.ValueKind == JsonValueKind.Array
            ? z.EnumerateArray().Select(s => Parse(s, "appliedStatus", name) with { ShiftType = Text(s, "shiftType") ?? "ZONAL_SHIFT" }).ToList() : [];
        // An autoshift (AutoshiftInResource) has only appliedStatus, awayFrom and startTime: no ID, comment or expiry.
        if (answer.TryGetProperty("autoshifts", out var a) && a.ValueKind == JsonValueKind.Array)
            shifts.AddRange(a.EnumerateArray().Select(s => new ZonalShiftDescription("", Text(answer, "arn") ?? resourceArn, name(Text(s, "awayFrom") ?? ""), "",
                Time(s, "startTime"), DateTimeOffset.MaxValue, Text(s, "appliedStatus") ?? "") { ShiftType = "ZONAL_AUTOSHIFT" }));
        return new ManagedResourceDescription(Text(answer, "arn") ?? resourceArn, Text(answer, "name") ?? "", weights, shifts);
    }

    /// <param name="awayFrom">The zone's name; ARC is sent its ID.</param>
    public async Task<ZonalShiftDescription> StartZonalShiftAsync(string resourceArn, string awayFrom, string expiresIn, string comment, CancellationToken cancel)
    {
        var ids = await zones.IdsByNameAsync(cancel).ConfigureAwait(false);
        if (!ids.TryGetValue(awayFrom, out var zoneId))
            throw new AwsServiceException(SigningName, "StartZonalShift", "UnknownZone",
                $"{awayFrom} is not an Availability Zone of this account's region (EC2 DescribeAvailabilityZones lists {string.Join(", ", ids.Keys)}); no shift was started", null, null);
        var answer = await aws.SendJsonAsync(SigningName, "StartZonalShift", HttpMethod.Post, "/zonalshifts", NoLabels,
            Json(w =>
            {
                w.WriteString("resourceIdentifier", resourceArn);
                w.WriteString("awayFrom", zoneId);
                w.WriteString("expiresIn", expiresIn);
                w.WriteString("comment", comment);
            }), idempotent: false, cancel).ConfigureAwait(false);
        return Parse(answer, "status", await NameOfIdAsync(cancel).ConfigureAwait(false));
    }

    public async Task<ZonalShiftDescription> UpdateZonalShiftAsync(string zonalShiftId, string expiresIn, string comment, CancellationToken cancel)
    {
        var answer = await aws.SendJsonAsync(SigningName, "UpdateZonalShift", HttpMethod.Patch, "/zonalshifts/{zonalShiftId}",
            new Dictionary<string, string> { ["zonalShiftId"] = zonalShiftId },
            Json(w =>
            {
                w.WriteString("expiresIn", expiresIn);
                w.WriteString("comment", comment);
            }), idempotent: true, cancel).ConfigureAwait(false);
        return Parse(answer, "status", await NameOfIdAsync(cancel).ConfigureAwait(false));
    }

    public async Task<ZonalShiftDescription> CancelZonalShiftAsync(string zonalShiftId, CancellationToken cancel)
    {
        var answer = await aws.SendJsonAsync(SigningName, "CancelZonalShift", HttpMethod.Delete, "/zonalshifts/{zonalShiftId}",
            new Dictionary<string, string> { ["zonalShiftId"] = zonalShiftId }, null, idempotent: false, cancel).ConfigureAwait(false);
        return Parse(answer, "status", await NameOfIdAsync(cancel).ConfigureAwait(false));
    }

    /// <summary>Zone ID to name; an ID the account does not list stays as it is, so it shows rather than vanishes.</summary>
    private async Task<Func<string, string>> NameOfIdAsync(CancellationToken cancel)
    {
        var names = (await zones.IdsByNameAsync(cancel).ConfigureAwait(false)).ToDictionary(z => z.Value, z => z.Key, StringComparer.Ordinal);
        return id => names.GetValueOrDefault(id, id);
    }

    private static ZonalShiftDescription Parse(JsonElement shift, string statusMember, Func<string, string> zoneName) => new(
        Text(shift, "zonalShiftId") ?? "", Text(shift, "resourceIdentifier") ?? "", zoneName(Text(shift, "awayFrom") ?? ""), Text(shift, "comment") ?? "",
        Time(shift, "startTime"), Time(shift, "expiryTime"), Text(shift, statusMember) ?? "");

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>REST-JSON timestamps are epoch seconds, with a fraction at times.</summary>
    private static DateTimeOffset Time(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(value.GetDouble() * 1000)) : DateTimeOffset.MinValue;

    private static byte[] Json(Action<Utf8JsonWriter> members)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }
}
