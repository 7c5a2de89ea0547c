namespace DrSentinel.Sandbox.Region;

/// <summary>
/// Backups as RDS and ElastiCache keep them, in region time: an automated snapshot of every DB instance and replication
/// group each day in its backup window (the last <see cref="SnapshotRetention"/> kept), and an RDS point-in-time restore
/// horizon (LatestRestorableTime) that trails now by up to five minutes, as RDS uploads transaction logs. Stopped (a
/// fault: a broken backup job, a storage problem), no snapshot is taken and the horizon stands still from then on.
/// </summary>
public sealed partial class SandboxRegion
{
    public const int SnapshotRetention = 7;
    private static readonly TimeSpan RdsBackupWindow = TimeSpan.FromHours(3);
    private static readonly TimeSpan CacheBackupWindow = TimeSpan.FromHours(4);
    private static readonly TimeSpan LogUploadEvery = TimeSpan.FromMinutes(5);

    /// <summary>When backups were stopped; null while they run.</summary>
    public DateTimeOffset? BackupsStoppedAt { get; internal set; }

    private DateTimeOffset BackupHorizon => BackupsStoppedAt is { } stopped && stopped < Now ? stopped : Now;

    /// <summary>Stops backups as of <paramref name="ago"/> before now (zero: now); a stop already in effect stays.</summary>
    internal void StopBackups(TimeSpan ago = default) => BackupsStoppedAt ??= Now - ago;

    internal void ResumeBackups() => BackupsStoppedAt = null;

    /// <summary>The newest time a point-in-time restore of the instance can reach.</summary>
    public DateTimeOffset LatestRestorableTime => Floor(BackupHorizon, LogUploadEvery);

    /// <summary>The automated snapshots an RDS instance keeps, oldest first.</summary>
    public IReadOnlyList<DateTimeOffset> RdsAutomatedSnapshots => DailySnapshots(RdsBackupWindow);

    /// <summary>The automated snapshots a replication group keeps, oldest first.</summary>
    public IReadOnlyList<DateTimeOffset> CacheAutomatedSnapshots => DailySnapshots(CacheBackupWindow);

    private List<DateTimeOffset> DailySnapshots(TimeSpan window)
    {
        var horizon = BackupHorizon;
        var newest = Floor(horizon, TimeSpan.FromDays(1)) + window;
        if (newest > horizon) newest -= TimeSpan.FromDays(1);
        return [.. Enumerable.Range(0, SnapshotRetention).Select(i => newest - TimeSpan.FromDays(SnapshotRetention - 1 - i))];
    }

    private static DateTimeOffset Floor(DateTimeOffset time, TimeSpan unit) =>
        new(time.UtcTicks - time.UtcTicks % unit.Ticks, TimeSpan.Zero);
}
