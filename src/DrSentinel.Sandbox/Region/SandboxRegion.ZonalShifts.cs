using System.Globalization;
using System.Text.RegularExpressions;

namespace DrSentinel.Sandbox.Region;

/// <summary>A zonal shift as ARC keeps it: away from one zone (by ID) of one managed resource, until it expires or is cancelled.</summary>
public sealed class ZonalShift
{
    public required string Id { get; init; }
    public required string ResourceIdentifier { get; init; }
    public required string AwayFrom { get; init; }
    public required DateTimeOffset StartTime { get; init; }
    public string Comment { get; set; } = "";
    public DateTimeOffset ExpiryTime { get; set; }
    public bool Cancelled { get; set; }
    /// <summary>ZONAL_SHIFT (a customer's), PRACTICE_RUN, FIS_EXPERIMENT or ZONAL_AUTOSHIFT (AWS's own, listed as an autoshift).</summary>
    public string ShiftType { get; init; } = CustomerShift;
    /// <summary>A practice run's outcome: PENDING while it runs, INTERRUPTED when a customer's shift cancels it.</summary>
    public string? PracticeRunOutcome { get; set; }

    public const string CustomerShift = "ZONAL_SHIFT";

    /// <summary>
    /// ARC's precedence (botocore, appliedStatus): "customer-initiated zonal shifts > autoshifts > practice run zonal
    /// shifts"; the ARC guide ranks an FIS experiment's shift with the practice runs (a customer's shift cancels it).
    /// </summary>
    public int Precedence => ShiftType switch { CustomerShift => 0, "ZONAL_AUTOSHIFT" => 1, _ => 2 };

    public string Status(DateTimeOffset now) => Cancelled ? "CANCELED" : ExpiryTime <= now ? "EXPIRED" : "ACTIVE";
}

/// <summary>A resource registered with ARC zonal shift: the EKS cluster and the cluster's ingress load balancer; its zones by ID, as ARC gives them.</summary>
public sealed record ManagedResource(string Arn, string Name, IReadOnlyList<string> AvailabilityZones);

/// <summary>
/// ARC zonal shift (API 2022-10-30) in region time: at most one active shift per resource; a shift expires by itself
/// (1 to 1440 minutes or 1 to 72 hours after it starts or is last updated); while it is active, the resource's traffic
/// weight in the zone it shifts away from is 0 — the load balancer's targets there take no new connections. ARC names
/// zones by ID (botocore, StartZonalShift's awayFrom: "The Availability Zone (for example, use1-az1)"): a zone name is
/// refused, and the weights are keyed by ID.
/// </summary>
public sealed partial class SandboxRegion
{
    internal List<ZonalShift> ZonalShifts { get; } = [];

    public IReadOnlyList<ManagedResource> ManagedResources
    {
        get
        {
            string[] zoneIds = [.. Topology.AvailabilityZones.Select(Topology.ZoneId)];
            return
            [
                new($"arn:aws:eks:{Topology.Region}:{Topology.AccountId}:cluster/{Topology.ClusterName}", Topology.ClusterName, zoneIds),
                new($"arn:aws:elasticloadbalancing:{Topology.Region}:{Topology.AccountId}:loadbalancer/net/{Topology.ClusterName}-ingress/0f1e2d3c4b5a6978",
                    $"{Topology.ClusterName}-ingress", zoneIds),
            ];
        }
    }

    /// <summary>A resource by ARN or name, else ResourceNotFoundException (404).</summary>
    internal ManagedResource RequireManagedResource(string identifier) =>
        ManagedResources.FirstOrDefault(r => r.Arn == identifier || r.Name == identifier)
        ?? throw new AwsFaultException("ResourceNotFoundException", $"The resource {identifier} is not registered with zonal shift.", 404);

    /// <summary>The one active shift of the resource in effect (appliedStatus APPLIED): the first by ARC's precedence; null when none.</summary>
    internal ZonalShift? AppliedShift(string resourceArn) =>
        ZonalShifts.Where(s => s.ResourceIdentifier == resourceArn && s.Status(Now) == "ACTIVE").OrderBy(s => s.Precedence).ThenBy(s => s.StartTime).FirstOrDefault();

    /// <summary>1.0 for every zone (by ID) of the resource, 0.0 for the zone the applied shift moves traffic away from.</summary>
    public IReadOnlyDictionary<string, double> AppliedWeights(ManagedResource resource)
    {
        var away = AppliedShift(resource.Arn)?.AwayFrom;
        return resource.AvailabilityZones.ToDictionary(z => z, z => z == away ? 0.0 : 1.0, StringComparer.Ordinal);
    }

    /// <summary>
    /// A shift AWS starts on the resource (a practice run of zonal autoshift, an FIS experiment, an autoshift), by zone name,
    /// for drills and tests. AWS does not start a practice run while a customer's shift is active (the ARC guide's precedence
    /// table: "The practice run will fail to start").
    /// </summary>
    public ZonalShift StartAwsShift(string identifier, string zoneName, string shiftType, TimeSpan lasts)
    {
        var resource = RequireManagedResource(identifier);
        var zoneId = Topology.ZoneId(RequireZone(zoneName).Name);
        if (shiftType is not ("PRACTICE_RUN" or "FIS_EXPERIMENT" or "ZONAL_AUTOSHIFT"))
            throw new ArgumentException($"shiftType must be PRACTICE_RUN, FIS_EXPERIMENT or ZONAL_AUTOSHIFT, not '{shiftType}'", nameof(shiftType));
        if (shiftType == "PRACTICE_RUN" && ZonalShifts.Any(s => s.ResourceIdentifier == resource.Arn && s.Status(Now) == "ACTIVE" && s.ShiftType == ZonalShift.CustomerShift))
            throw new AwsFaultException("ConflictException", $"A zonal shift is active for {resource.Arn}: the practice run does not start.", 409)
                { Details = new Dictionary<string, string> { ["reason"] = "ZonalShiftAlreadyExists" } };
        var shift = new ZonalShift
        {
            Id = Guid.NewGuid().ToString(), ResourceIdentifier = resource.Arn, AwayFrom = zoneId, StartTime = Now, ExpiryTime = Now + lasts,
            ShiftType = shiftType, PracticeRunOutcome = shiftType == "PRACTICE_RUN" ? "PENDING" : null,
            Comment = shiftType switch { "PRACTICE_RUN" => "Zonal autoshift practice run", "FIS_EXPERIMENT" => "AWS FIS experiment", _ => "" },
        };
        ZonalShifts.Add(shift);
        return shift;
    }

    /// <summary>AWS ends its autoshift of the resource (the zone looks healthy to it again).</summary>
    public void EndAutoshift(string identifier)
    {
        var resource = RequireManagedResource(identifier);
        foreach (var shift in ZonalShifts.Where(s => s.ResourceIdentifier == resource.Arn && s.ShiftType == "ZONAL_AUTOSHIFT" && s.Status(Now) == "ACTIVE"))
            shift.Cancelled = true;
    }

    /// <summary>
    /// Everything DrSentinel's playbooks may change, one line each: the groups' sizes, subnets, suspended processes and
    /// tag keys, the cordoned nodes and where each zonal-shift resource sends traffic. Equal before and after a drill or
    /// test means everything was put back.
    /// </summary>
    public string ChangeableByPlaybooks() => string.Join('\n',
        ScalingGroups.Values.OrderBy(g => g.Name, StringComparer.Ordinal).Select(g => string.Create(CultureInfo.InvariantCulture,
            $"group {g.Name} min={g.MinSize} max={g.MaxSize} desired={g.DesiredCapacity} subnets={string.Join(',', g.SubnetIds)} suspended={string.Join(',', g.SuspendedProcesses.Keys.Order(StringComparer.Ordinal))} tags={string.Join(',', g.Tags.Keys.Order(StringComparer.Ordinal))}"))
            .Concat(Cluster.Nodes.Where(n => n.Unschedulable).Select(n => $"cordoned {n.Name}").Order(StringComparer.Ordinal))
            .Concat(ManagedResources.Select(m => string.Create(CultureInfo.InvariantCulture,
                $"traffic {m.Name} {string.Join(',', AppliedWeights(m).OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => $"{w.Key}={w.Value}"))}"))));

    internal ZonalShift StartZonalShift(string identifier, string awayFrom, string expiresIn, string comment)
    {
        var resource = RequireManagedResource(identifier);
        if (!resource.AvailabilityZones.Contains(awayFrom))
            throw ZonalShiftValidation("InvalidAz", $"{awayFrom} is not an Availability Zone ID of {resource.Arn} ({string.Join(", ", resource.AvailabilityZones)}).");
        CheckComment(comment);
        var lasts = ExpiresIn(expiresIn);
        // One customer shift per resource (the ARC guide: "Checks that are built into zonal shift prevent you from starting
        // another zonal shift for a resource when it already has an active shift"). A customer's shift cancels a practice
        // run (outcome INTERRUPTED) or an FIS experiment's shift, and takes precedence over an autoshift.
        var active = ZonalShifts.Where(s => s.ResourceIdentifier == resource.Arn && s.Status(Now) == "ACTIVE").ToList();
        if (active.FirstOrDefault(s => s.ShiftType == ZonalShift.CustomerShift) is { } existing)
            throw new AwsFaultException("ConflictException", $"A zonal shift ({existing.Id}) is already active for {resource.Arn}.", 409)
                { Details = new Dictionary<string, string> { ["reason"] = "ZonalShiftAlreadyExists", ["zonalShiftId"] = existing.Id } };
        foreach (var yielding in active.Where(s => s.ShiftType is "PRACTICE_RUN" or "FIS_EXPERIMENT"))
        {
            yielding.Cancelled = true;
            if (yielding.ShiftType == "PRACTICE_RUN") yielding.PracticeRunOutcome = "INTERRUPTED";
        }
        var shift = new ZonalShift
        {
            Id = Guid.NewGuid().ToString(), ResourceIdentifier = resource.Arn, AwayFrom = awayFrom, StartTime = Now, Comment = comment, ExpiryTime = Now + lasts,
        };
        ZonalShifts.Add(shift);
        return shift;
    }

    internal ZonalShift UpdateZonalShift(string id, string? comment, string? expiresIn)
    {
        var shift = RequireActiveShift(id);
        if (comment is null && expiresIn is null) throw ZonalShiftValidation("MissingValue", "Give a comment or expiresIn to update.");
        if (comment is not null)
        {
            CheckComment(comment);
            shift.Comment = comment;
        }
        if (expiresIn is not null) shift.ExpiryTime = Now + ExpiresIn(expiresIn);
        return shift;
    }

    internal ZonalShift CancelZonalShift(string id)
    {
        var shift = RequireActiveShift(id);
        shift.Cancelled = true;
        return shift;
    }

    private ZonalShift RequireActiveShift(string id)
    {
        var shift = ZonalShifts.FirstOrDefault(s => s.Id == id)
            ?? throw new AwsFaultException("ResourceNotFoundException", $"No zonal shift {id}.", 404);
        if (shift.Status(Now) != "ACTIVE")
            throw new AwsFaultException("ConflictException", $"The zonal shift {id} is {shift.Status(Now)}, not ACTIVE.", 409)
                { Details = new Dictionary<string, string> { ["reason"] = "ZonalShiftStatusNotActive", ["zonalShiftId"] = id } };
        return shift;
    }

    private static void CheckComment(string comment)
    {
        if (comment.Length > 128) throw ZonalShiftValidation("MissingValue", "comment must be at most 128 characters.");
    }

    [GeneratedRegex("^([1-9][0-9]*)(m|h)$")]
    private static partial Regex ExpiresInPattern();

    /// <summary>"30m" or "2h": 1 to 1440 minutes, 1 to 72 hours.</summary>
    private static TimeSpan ExpiresIn(string text)
    {
        var match = ExpiresInPattern().Match(text);
        if (match.Success && int.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var n)
            && (match.Groups[2].Value == "m" ? n <= 1440 : n <= 72))
            return match.Groups[2].Value == "m" ? TimeSpan.FromMinutes(n) : TimeSpan.FromHours(n);
        throw ZonalShiftValidation("InvalidExpiresIn", $"expiresIn {text} must be 1 to 1440 minutes (e.g. 30m) or 1 to 72 hours (e.g. 2h).");
    }

    /// <summary>ARC's ValidationException: HTTP 400 with a reason (InvalidExpiresIn, InvalidAz, MissingValue, ...).</summary>
    internal static AwsFaultException ZonalShiftValidation(string reason, string message) =>
        new("ValidationException", message, 400) { Details = new Dictionary<string, string> { ["reason"] = reason } };
}
