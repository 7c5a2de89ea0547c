using System.Diagnostics;
using DrSentinel.Clients.Aws.ElastiCache;
using DrSentinel.Clients.Aws.Rds;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using DrSentinel.Playbooks.CacheFailover;
using DrSentinel.Playbooks.RdsFailover;

namespace DrSentinel.Actions.Databases;

/// <summary>
/// Follows a failover DrSentinel started to its end, off the engine's path: the resource available again with its
/// primary out of the lost zone, then the primary writable there as the probes see it. Says each in the log and as a
/// Kubernetes Event, or says that it did not happen in time (a human looks).
/// </summary>
public sealed partial class FailoverFollower(
    IRdsReader rds, IElastiCacheReader elastiCache, InventoryStore store, ActionEvents events, TimeProvider time, ILogger<FailoverFollower> logger) : IAsyncDisposable
{
    public static readonly TimeSpan RdsDeadline = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan CacheDeadline = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _following = [];

    public void FollowRds(FailoverDbInstance step) => Track(FollowRdsAsync(step, _stop.Token));

    public void FollowCache(FailoverCacheGroup step) => Track(FollowCacheAsync(step, _stop.Token));

    public void FollowCluster(FailoverDbCluster step) => Track(FollowClusterAsync(step, _stop.Token));

    public void FollowPromotion(PromoteReadReplica step) => Track(FollowPromotionAsync(step, _stop.Token));

    /// <summary>Waits until the replication group is available again; a TimeoutException after <see cref="CacheDeadline"/>.</summary>
    public async Task CacheAvailableAsync(string group, CancellationToken cancel)
    {
        var started = time.GetTimestamp();
        while (First(await elastiCache.DescribeReplicationGroupsAsync(group, cancel).ConfigureAwait(false))?.Status != "available")
        {
            if (time.GetElapsedTime(started) > CacheDeadline) throw new TimeoutException($"{group} was not available again within {CacheDeadline.TotalMinutes:F0} min");
            await Task.Delay(PollEvery, time, cancel).ConfigureAwait(false);
        }
    }

    private static T? First<T>(IReadOnlyList<T> items) where T : class => items.Count > 0 ? items[0] : null;

    private void Track(Task following)
    {
        lock (_following)
        {
            _following.RemoveAll(t => t.IsCompleted);
            _following.Add(following);
        }
    }

    private async Task FollowRdsAsync(FailoverDbInstance step, CancellationToken stop)
    {
        var started = time.GetTimestamp();
        var moved = await UntilAsync(async () =>
        {
            var db = First(await rds.DescribeDbInstancesAsync(step.DbInstance, stop).ConfigureAwait(false));
            return db is { Status: "available" } && db.AvailabilityZone == step.ToZone;
        }, RdsDeadline, stop).ConfigureAwait(false);
        if (moved is not true)
        {
            await ReportAsync(step, $"{step.DbInstance}: the forced failover did not complete within {RdsDeadline.TotalMinutes:F0} min; a human must look", warning: true, stop).ConfigureAwait(false);
            return;
        }
        var at = time.GetElapsedTime(started);
        var (writable, seen) = await WritableAsync(step.DbInstance, started, stop).ConfigureAwait(false);
        await ReportAsync(step, $"{step.DbInstance}: primary in {step.ToZone}, available after {at.TotalSeconds:F0} s{seen}", warning: !writable, stop).ConfigureAwait(false);
    }

    /// <summary>Waits (2 min at most) for the probe to see the instance writable; says how it went. An unprobed one is not held against it.</summary>
    private async Task<(bool Writable, string Said)> WritableAsync(string instance, long started, CancellationToken stop)
    {
        var writable = await UntilAsync(() => Task.FromResult(store.Current.PostgresProbes.Any(p =>
            p.DbInstance == instance && p.Up && p.InRecovery is false)), TimeSpan.FromMinutes(2), stop).ConfigureAwait(false);
        if (!store.Current.PostgresProbes.Any(p => p.DbInstance == instance)) return (true, " (not probed)");
        return writable is true
            ? (true, $", writable as the probe sees it after {time.GetElapsedTime(started).TotalSeconds:F0} s")
            : (false, ", but the probe does not see it writable yet");
    }

    private async Task FollowClusterAsync(FailoverDbCluster step, CancellationToken stop)
    {
        var started = time.GetTimestamp();
        var moved = await UntilAsync(async () =>
        {
            var cluster = First(await rds.DescribeDbClustersAsync(step.Cluster, stop).ConfigureAwait(false));
            return cluster is { Status: "available" } && cluster.Members.Any(m => m.IsWriter && m.InstanceId == step.Target);
        }, RdsDeadline, stop).ConfigureAwait(false);
        await ReportAsync(step, moved is true
            ? $"{step.Cluster}: writer {step.Target}, available after {time.GetElapsedTime(started).TotalSeconds:F0} s"
            : $"{step.Cluster}: the cluster failover did not complete within {RdsDeadline.TotalMinutes:F0} min; a human must look", warning: moved is not true, stop)
            .ConfigureAwait(false);
    }

    private async Task FollowPromotionAsync(PromoteReadReplica step, CancellationToken stop)
    {
        var started = time.GetTimestamp();
        string? endpoint = null;
        var standalone = await UntilAsync(async () =>
        {
            var db = First(await rds.DescribeDbInstancesAsync(step.Replica, stop).ConfigureAwait(false));
            endpoint = db?.EndpointAddress is { } host ? $"{host}:{db.EndpointPort}" : null;
            return db is { Status: "available", ReplicaSourceId: null };
        }, RdsDeadline, stop).ConfigureAwait(false);
        if (standalone is not true)
        {
            await ReportAsync(step, $"{step.Replica}: the promotion did not complete within {RdsDeadline.TotalMinutes:F0} min; a human must look", warning: true, stop).ConfigureAwait(false);
            return;
        }
        var at = time.GetElapsedTime(started);
        var (writable, seen) = await WritableAsync(step.Replica, started, stop).ConfigureAwait(false);
        await ReportAsync(step, $"{step.Replica}: promoted, a standalone primary in {step.ReplicaZone} after {at.TotalSeconds:F0} s{seen}"
            + $"; point the application at {endpoint ?? "its endpoint"} (it no longer replicates from {step.Source})", warning: !writable, stop).ConfigureAwait(false);
    }

    private async Task FollowCacheAsync(FailoverCacheGroup step, CancellationToken stop)
    {
        var started = time.GetTimestamp();
        string? where = null;
        var moved = await UntilAsync(async () =>
        {
            var group = First(await elastiCache.DescribeReplicationGroupsAsync(step.ReplicationGroup, stop).ConfigureAwait(false));
            var primary = group?.NodeGroups.FirstOrDefault(n => n.NodeGroupId == step.NodeGroupId)?.Members.FirstOrDefault(m => m.CurrentRole == "primary");
            where = primary is null ? null : $"{primary.CacheClusterId} in {primary.AvailabilityZone}";
            return group is { Status: "available" } && primary is not null && primary.AvailabilityZone != step.FromZone;
        }, CacheDeadline, stop).ConfigureAwait(false);
        await ReportAsync(step, moved is true
            ? $"{step.ReplicationGroup}: primary is {where}, available after {time.GetElapsedTime(started).TotalSeconds:F0} s"
            : $"{step.ReplicationGroup}: the primary did not leave {step.FromZone} within {CacheDeadline.TotalMinutes:F0} min; a human must look", warning: moved is not true, stop)
            .ConfigureAwait(false);
    }

    /// <summary>Polls until true; false at the deadline; null when stopping. A failed read is tried again at the next poll.</summary>
    private async Task<bool?> UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, CancellationToken stop)
    {
        var started = time.GetTimestamp();
        try
        {
            while (time.GetElapsedTime(started) < deadline)
            {
                try
                {
                    if (await condition().ConfigureAwait(false)) return true;
                }
                catch (Exception e) when (StepExecutor.Transient(e, stop) || e is Clients.Aws.AwsServiceException)
                {
                    LogReadFailed(logger, e);
                }
                await Task.Delay(PollEvery, time, stop).ConfigureAwait(false);
            }
            return false;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task ReportAsync(PlanStep step, string message, bool warning, CancellationToken stop)
    {
        if (stop.IsCancellationRequested) return;
        if (warning) LogNotDone(logger, message);
        else LogDone(logger, message);
        Activity.Current = null;
        await events.ResourceAsync(step.Kind ?? "DBInstance", step.Resource, warning ? "DatabaseFailoverNotDone" : "DatabaseFailoverDone", $"DrSentinel: {message}", warning, stop)
            .ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Task[] following;
        lock (_following) following = [.. _following];
        await Task.WhenAll(following).ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(EventId = EventIds.FailoverDone, Level = LogLevel.Warning, Message = "Failover done: {Message}")]
    private static partial void LogDone(ILogger logger, string message);

    [LoggerMessage(EventId = EventIds.FailoverNotDone, Level = LogLevel.Error, Message = "Failover not done: {Message}")]
    private static partial void LogNotDone(ILogger logger, string message);

    [LoggerMessage(EventId = EventIds.FailoverReadFailed, Level = LogLevel.Warning, Message = "Following a failover: a read failed; trying again")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}
