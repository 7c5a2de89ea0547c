using System.Collections.Frozen;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace DrSentinel.Leadership;

/// <summary>A mutating call refused because this replica is not the leader of the term its plan began in.</summary>
public sealed class FencedException(string message) : Exception(message);

/// <summary>
/// A small Lease elector with fencing. Every <see cref="LeadershipOptions.RetryPeriod"/> it reads the Lease: it renews
/// its own (a conditional update on resourceVersion), or takes one whose holder has not been seen renewing for
/// <see cref="LeadershipOptions.LeaseDuration"/> — judged on this replica's own clock, by when the Lease last changed, so
/// clocks need not agree. The term is the Lease's leaseTransitions when it was taken. <see cref="Fence"/> is called
/// right before every mutating call: a replica that is not the leader of that term, or has not renewed within
/// <see cref="LeadershipOptions.RenewDeadline"/> (shorter than the Lease), refuses it. The Lease also carries what the
/// replicas share (<see cref="SharedKeys"/>) as annotations, which every write keeps.
/// </summary>
public sealed partial class LeaseElector(
    k8s.Kubernetes kubernetes, IOptions<LeadershipOptions> options, ApiCallRecorder calls, LeadershipMetrics metrics, TimeProvider time,
    ILogger<LeaseElector> logger) : BackgroundService
{
    private readonly Lock _gate = new();
    private readonly LeadershipOptions _options = options.Value;
    private TaskCompletionSource _leading = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long? _renewedAt; // this replica's timestamp of its last successful renewal, while it holds the Lease
    private int _term = -1;
    private string? _observedVersion;
    private long _observedAt;
    private string? _observedHolder; // under _gate
    private FrozenDictionary<string, string> _annotations = FrozenDictionary<string, string>.Empty;
    private readonly Channel<bool> _reconcileRequests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>The Lease's annotations as last read or written: the state every replica shares.</summary>
    public IReadOnlyDictionary<string, string> Annotations => Volatile.Read(ref _annotations);

    /// <summary>Signalled when another replica asked the leader to reconcile now (it accepted a new alert).</summary>
    public ChannelReader<bool> ReconcileRequests => _reconcileRequests.Reader;

    public bool Enabled => _options.Enabled;

    public string Identity { get; } = options.Value.IdentityOrDefault();

    /// <summary>Leading now: the Lease is this replica's and was renewed within the renew deadline. Always, with election off.</summary>
    public bool IsLeader
    {
        get
        {
            if (!_options.Enabled) return true;
            lock (_gate) return _renewedAt is { } at && time.GetElapsedTime(at) < _options.RenewDeadline;
        }
    }

    /// <summary>
    /// Who leads, as this replica last saw the Lease: itself while it renews; else the holder, and whether the Lease has
    /// changed (been renewed) within its duration. With election off, this replica. Null holder: nobody holds it.
    /// </summary>
    public (string? Holder, bool Renewing) Leader
    {
        get
        {
            if (!_options.Enabled || IsLeader) return (Identity, true);
            lock (_gate) return (_observedHolder, _observedHolder is not null && _observedAt != 0 && time.GetElapsedTime(_observedAt) < _options.LeaseDuration);
        }
    }

    /// <summary>The term this replica leads in (the Lease's leaseTransitions when taken); -1 while it does not lead.</summary>
    public int Term
    {
        get
        {
            if (!_options.Enabled) return 0;
            lock (_gate) return IsLeader ? _term : -1;
        }
    }

    /// <summary>Completes once this replica leads (at once with election off, or while it leads).</summary>
    public Task LeadingAsync(CancellationToken cancel)
    {
        if (IsLeader) return Task.CompletedTask;
        lock (_gate) return _leading.Task.WaitAsync(cancel);
    }

    /// <summary>Throws <see cref="FencedException"/> unless this replica leads in <paramref name="term"/> right now.</summary>
    public void Fence(int term)
    {
        var current = Term;
        if (current == term && current >= 0) return;
        metrics.Fenced();
        throw new FencedException(current < 0
            ? $"this replica ({Identity}) no longer leads: term {term} is over; the call is not made"
            : $"term {term} is over, this replica leads term {current} now; the call is not made");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            metrics.Leading(Identity, true, 0);
            return;
        }
        LogStarting(logger, Identity, _options.Namespace, _options.LeaseName);
        var stop = stoppingToken;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await TryOnceAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException
                                          or OperationCanceledException && !stop.IsCancellationRequested)
            {
                LogLeaseCallFailed(logger, e);
            }
            Publish();
            try
            {
                await Task.Delay(_options.RetryPeriod, time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await ReleaseAsync().ConfigureAwait(false);
    }

    /// <summary>The Lease, or null when there is none yet.</summary>
    private async Task<V1Lease?> ReadOrNullAsync(CancellationToken cancel)
    {
        try
        {
            return await calls.KubernetesAsync("read_lease",
                () => kubernetes.CoordinationV1.ReadNamespacedLeaseAsync(_options.LeaseName, _options.Namespace, cancellationToken: cancel)).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task TryOnceAsync(CancellationToken stop)
    {
        var lease = await ReadOrNullAsync(stop).ConfigureAwait(false);
        var now = time.GetUtcNow().UtcDateTime;
        if (lease is null)
        {
            var created = await WriteAsync(null, Claim(now, transitions: 0), stop).ConfigureAwait(false);
            if (created is not null) Took(created);
            return;
        }
        Remember(lease);
        var spec = lease.Spec ?? new V1LeaseSpec();
        if (spec.HolderIdentity == Identity)
        {
            spec.RenewTime = now;
            var renewed = await WriteAsync(lease, spec, stop).ConfigureAwait(false);
            if (renewed is null)
            {
                // Another replica wrote an annotation in between: read again and renew at once, not a retry period later.
                lease = await ReadOrNullAsync(stop).ConfigureAwait(false);
                if (lease is null) return;
                Remember(lease);
                if (lease.Spec is not { } current || current.HolderIdentity != Identity) return;
                current.RenewTime = now;
                renewed = await WriteAsync(lease, current, stop).ConfigureAwait(false);
            }
            if (renewed is not null) Renewed(renewed);
            return;
        }
        Observe(lease);
        var duration = spec.LeaseDurationSeconds is { } seconds and > 0 ? TimeSpan.FromSeconds(seconds) : _options.LeaseDuration;
        bool expired;
        lock (_gate) expired = string.IsNullOrEmpty(spec.HolderIdentity) || time.GetElapsedTime(_observedAt) > duration;
        Following(spec.HolderIdentity);
        if (!expired) return;
        var taken = await WriteAsync(lease, Claim(now, (spec.LeaseTransitions ?? 0) + 1), stop).ConfigureAwait(false);
        if (taken is not null) Took(taken);
    }

    /// <summary>
    /// Sets (or, with null, removes) one shared annotation on the Lease, creating the Lease if there is none yet: a
    /// conditional update, tried again on a conflict with a renewal. Any replica may call it; it returns once written.
    /// </summary>
    public async Task AnnotateAsync(string key, string? value, CancellationToken cancel)
    {
        for (var attempt = 1; ; attempt++)
        {
            var lease = await ReadOrNullAsync(cancel).ConfigureAwait(false);
            var annotations = new Dictionary<string, string>(lease?.Metadata?.Annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            if (value is null) annotations.Remove(key);
            else annotations[key] = value;
            var written = await WriteAsync(lease, lease?.Spec ?? new V1LeaseSpec(), cancel, annotations).ConfigureAwait(false);
            if (written is not null)
            {
                Remember(written);
                return;
            }
            if (attempt >= 10) throw new IOException($"the Lease {_options.Namespace}/{_options.LeaseName} kept changing under {attempt} attempts to write {key}");
        }
    }

    /// <summary>Keeps the annotations as read; a changed reconcile request wakes the leader's reconciler.</summary>
    private void Remember(V1Lease lease)
    {
        var annotations = (lease.Metadata?.Annotations ?? new Dictionary<string, string>()).ToFrozenDictionary(StringComparer.Ordinal);
        var before = Interlocked.Exchange(ref _annotations, annotations);
        if (annotations.GetValueOrDefault(SharedKeys.ReconcileRequested) is { } requested && requested != before.GetValueOrDefault(SharedKeys.ReconcileRequested))
            _reconcileRequests.Writer.TryWrite(true);
    }

    private V1LeaseSpec Claim(DateTime now, int transitions) => new()
    {
        AcquireTime = now, RenewTime = now, HolderIdentity = Identity, LeaseDurationSeconds = (int)_options.LeaseDuration.TotalSeconds, LeaseTransitions = transitions,
    };

    /// <summary>Creates or conditionally replaces the Lease; null when another replica got there first (409).</summary>
    /// <remarks>The annotations are kept as they were unless <paramref name="annotations"/> replaces them.</remarks>
    private async Task<V1Lease?> WriteAsync(V1Lease? current, V1LeaseSpec spec, CancellationToken stop, IDictionary<string, string>? annotations = null)
    {
        var body = new V1Lease
        {
            ApiVersion = "coordination.k8s.io/v1", Kind = "Lease", Spec = spec,
            Metadata = new V1ObjectMeta
            {
                Name = _options.LeaseName, NamespaceProperty = _options.Namespace, ResourceVersion = current?.Metadata?.ResourceVersion,
                Annotations = annotations ?? current?.Metadata?.Annotations,
            },
        };
        try
        {
            return current is null
                ? await calls.KubernetesAsync("create_lease", () => kubernetes.CoordinationV1.CreateNamespacedLeaseAsync(body, _options.Namespace, cancellationToken: stop)).ConfigureAwait(false)
                : await calls.KubernetesAsync("update_lease", () => kubernetes.CoordinationV1.ReplaceNamespacedLeaseAsync(body, _options.LeaseName, _options.Namespace, cancellationToken: stop)).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            return null;
        }
    }

    private void Observe(V1Lease lease)
    {
        lock (_gate)
        {
            _observedHolder = string.IsNullOrEmpty(lease.Spec?.HolderIdentity) ? null : lease.Spec.HolderIdentity;
            if (_observedVersion == lease.Metadata?.ResourceVersion) return;
            _observedVersion = lease.Metadata?.ResourceVersion;
            _observedAt = time.GetTimestamp();
        }
    }

    private void Took(V1Lease lease)
    {
        Remember(lease);
        int term;
        lock (_gate)
        {
            _term = lease.Spec?.LeaseTransitions ?? 0;
            _renewedAt = time.GetTimestamp();
            term = _term;
            _leading.TrySetResult();
        }
        metrics.Transition();
        LogLeading(logger, Identity, term);
    }

    private void Renewed(V1Lease lease)
    {
        Remember(lease);
        lock (_gate)
        {
            if (_renewedAt is null || (lease.Spec?.LeaseTransitions ?? 0) != _term)
            {
                _term = lease.Spec?.LeaseTransitions ?? 0;
                _leading.TrySetResult();
            }
            _renewedAt = time.GetTimestamp();
        }
    }

    private void Following(string? holder)
    {
        bool wasLeading;
        lock (_gate)
        {
            wasLeading = _renewedAt is not null;
            _renewedAt = null;
            _term = -1;
            if (_leading.Task.IsCompleted) _leading = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        if (wasLeading) LogLostLease(logger, Identity, holder ?? "nobody");
    }

    /// <summary>Exports the state, and notices a leader that missed its renew deadline (it stops acting before its Lease expires).</summary>
    private void Publish()
    {
        bool leading = IsLeader, lapsed;
        lock (_gate)
        {
            lapsed = !leading && _renewedAt is not null;
            if (lapsed)
            {
                _renewedAt = null;
                _term = -1;
                if (_leading.Task.IsCompleted) _leading = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        if (lapsed) LogRenewDeadline(logger, Identity, _options.RenewDeadline.TotalSeconds);
        metrics.Leading(Identity, leading, Term);
    }

    /// <summary>On a clean stop the Lease is handed back (holder cleared), so another replica takes over at once.</summary>
    private async Task ReleaseAsync()
    {
        if (!IsLeader) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2), time);
        try
        {
            var lease = await kubernetes.CoordinationV1.ReadNamespacedLeaseAsync(_options.LeaseName, _options.Namespace, cancellationToken: timeout.Token).ConfigureAwait(false);
            if (lease.Spec?.HolderIdentity != Identity) return;
            lease.Spec.HolderIdentity = null;
            lease.Spec.LeaseDurationSeconds = 1;
            await kubernetes.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, _options.LeaseName, _options.Namespace, cancellationToken: timeout.Token).ConfigureAwait(false);
            LogReleased(logger, Identity);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
        {
            LogLeaseCallFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = EventIds.LeaderElectionStarting, Level = LogLevel.Information, Message = "Leader election as {Identity} on Lease {Namespace}/{Lease}")]
    private static partial void LogStarting(ILogger logger, string identity, string @namespace, string lease);

    [LoggerMessage(EventId = EventIds.LeaderElected, Level = LogLevel.Warning, Message = "{Identity} leads now (term {Term}): it plans and acts")]
    private static partial void LogLeading(ILogger logger, string identity, int term);

    [LoggerMessage(EventId = EventIds.LeaderLost, Level = LogLevel.Warning, Message = "{Identity} no longer leads: the Lease is {Holder}'s")]
    private static partial void LogLostLease(ILogger logger, string identity, string holder);

    [LoggerMessage(EventId = EventIds.LeaderRenewDeadline, Level = LogLevel.Error,
        Message = "{Identity} could not renew its Lease within {Seconds:F0} s (Leadership:RenewDeadline): it stops acting before the Lease can expire")]
    private static partial void LogRenewDeadline(ILogger logger, string identity, double seconds);

    [LoggerMessage(EventId = EventIds.LeaderReleased, Level = LogLevel.Information, Message = "{Identity} handed its Lease back on stopping")]
    private static partial void LogReleased(ILogger logger, string identity);

    [LoggerMessage(EventId = EventIds.LeaseCallFailed, Level = LogLevel.Warning, Message = "A Lease call failed; trying again")]
    private static partial void LogLeaseCallFailed(ILogger logger, Exception exception);
}
