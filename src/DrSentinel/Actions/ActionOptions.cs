namespace DrSentinel.Actions;

/// <summary>What the action engine may do (section <c>Actions</c>). Everything defaults to doing nothing.</summary>
public sealed class ActionOptions
{
    public const string Section = "Actions";

    /// <summary>Plan, log and export, change nothing. On until the operator turns it off.</summary>
    public bool DryRun { get; set; } = true;

    /// <summary>Stop every mutating call (also switchable at runtime through the kill-switch endpoint).</summary>
    public bool KillSwitch { get; set; }

    /// <summary>Auto Scaling group names or EKS node group names DrSentinel may change; empty: none.</summary>
    public List<string> AllowedNodeGroups { get; set; } = [];

    public bool AllowSecondZone { get; set; }

    /// <summary>Above this share of NotReady nodes nothing is evacuated (cluster-autoscaler halts above 45 %).</summary>
    public double HaltAboveUnreadyShare { get; set; } = 0.45;

    /// <summary>No second evacuation step on a resource within this time of the last.</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromMinutes(15);

    public int MaxActionsPerHour { get; set; } = 30;

    /// <summary>
    /// Attempts of one step, each reading its resource again first, before a human is asked to finish: a step's one retry
    /// layer (its AWS calls are sent once per attempt).
    /// </summary>
    public int MaxAttempts { get; set; } = 4;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Times a plan is made again when the state it was made from has changed under it.</summary>
    public int MaxReplans { get; set; } = 3;

    /// <summary>
    /// A plan refused only because of how the zone looks now (an evacuation of a zone that looks healthy, a restore of one
    /// that still looks impaired) is made again this often, until it acts or the opposite alert for the zone arrives.
    /// </summary>
    public TimeSpan RecheckEvery { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long capacity an evacuation asked for may take to be in service (an instance boots and joins in one to three
    /// minutes); after that it is a shortfall: reported with AWS's reason and moved to another group where one has room.
    /// </summary>
    public TimeSpan CapacityArrivalWithin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Start an ARC zonal shift away from the lost zone on every resource in Inventory:ZonalShiftResources, extend it while
    /// the zone is impaired and cancel it on restore. Off by default.
    /// </summary>
    public bool ShiftTrafficAway { get; set; }

    /// <summary>How long each zonal shift DrSentinel starts or extends lasts (ARC: 1 minute to 72 hours).</summary>
    public TimeSpan ZonalShiftLasts { get; set; } = TimeSpan.FromHours(1);

    /// <summary>DB instance and replication group ids DrSentinel may fail over; empty: none.</summary>
    public List<string> AllowedDatabases { get; set; } = [];

    /// <summary>How long after a database alert starts firing AWS gets to fail the database over by itself.</summary>
    public TimeSpan FailoverGrace { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Read replicas DrSentinel may promote when their source and its Multi-AZ partner are both lost; empty: none. The
    /// source must be in <see cref="AllowedDatabases"/> too.
    /// </summary>
    public List<string> PromotableReplicas { get; set; } = [];

    /// <summary>The most writes, as time, a replica promotion may lose (the seed's RPO); raise it to promote beyond.</summary>
    public TimeSpan ReplicaPromotionRpo { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Where the Events about Auto Scaling groups go (node Events go where Kubernetes keeps them, "default").</summary>
    public string EventNamespace { get; set; } = "default";

    /// <summary>The planner's view of these settings.</summary>
    public Planning.ActionPolicy Policy() => new()
    {
        AllowedNodeGroups = [.. AllowedNodeGroups],
        AllowSecondZone = AllowSecondZone,
        ShiftTrafficAway = ShiftTrafficAway,
        ZonalShiftLasts = ZonalShiftLasts,
        HaltAboveUnreadyShare = HaltAboveUnreadyShare,
        AllowedDatabases = [.. AllowedDatabases],
        FailoverGrace = FailoverGrace,
        FailoverCooldown = Cooldown,
        PromotableReplicas = [.. PromotableReplicas],
        ReplicaPromotionRpo = ReplicaPromotionRpo,
    };

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1: <see cref="RetryBaseDelay"/>, doubling.</summary>
    public TimeSpan RetryDelay(int attempt) => TimeSpan.FromMilliseconds(RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));

    /// <summary>How long the engine waits for the first inventory before it acts on anything.</summary>
    public TimeSpan InventoryWait { get; set; } = TimeSpan.FromMinutes(2);
}
