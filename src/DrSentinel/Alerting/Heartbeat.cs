using Prometheus;

namespace DrSentinel.Alerting;

/// <summary>
/// The always-firing DrSentinelHeartbeat, as this replica last received it through its webhook: the one proof that the
/// whole path works in production (Prometheus evaluates the rules, Alertmanager routes to this receiver, the network and
/// the credential let the notification in). Never acted on. Exported as
/// drsentinel_heartbeat_last_received_timestamp_seconds (0 until the first).
/// </summary>
public sealed class Heartbeat
{
    public const string AlertName = "DrSentinelHeartbeat";

    private readonly Gauge _lastReceived;
    private readonly TimeProvider _time;
    private long _lastReceivedTicks; // UTC ticks; 0: never

    public Heartbeat(IMetricFactory metrics, TimeProvider time)
    {
        _time = time;
        StartedAt = time.GetUtcNow();
        _lastReceived = metrics.CreateGauge("drsentinel_heartbeat_last_received_timestamp_seconds",
            "When this replica last received the always-firing DrSentinelHeartbeat through its webhook (0: not since it started).");
        _lastReceived.Set(0);
    }

    /// <summary>When this replica started waiting for heartbeats.</summary>
    public DateTimeOffset StartedAt { get; }

    public DateTimeOffset? LastReceived => Interlocked.Read(ref _lastReceivedTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public void Received()
    {
        var now = _time.GetUtcNow();
        Interlocked.Exchange(ref _lastReceivedTicks, now.UtcTicks);
        _lastReceived.Set(now.ToUnixTimeMilliseconds() / 1000.0);
    }
}
