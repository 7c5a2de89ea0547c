using Prometheus;

namespace DrSentinel.Metrics;

/// <summary>What the receiver took and what the engine did with it: every decision is counted with its outcome.</summary>
public sealed class ActionMetrics(IMetricFactory factory)
{
    private readonly Counter _requests = factory.CreateCounter("drsentinel_webhook_requests_total",
        "Alertmanager webhook requests, by the HTTP status DrSentinel answered.", new CounterConfiguration { LabelNames = ["code"] });

    private readonly Counter _alerts = factory.CreateCounter("drsentinel_webhook_alerts_total",
        "Alerts received on the webhook, by the playbook they start (none), their status and what became of them "
        + "(accepted, duplicate, not-actionable, other-cluster, no-az-label, no-resource-label).",
        new CounterConfiguration { LabelNames = ["playbook", "status", "outcome"] });

    private readonly Counter _plans = factory.CreateCounter("drsentinel_plans_total",
        "Plans made for accepted alerts, by playbook, intent (evacuate, restore, failover), verdict (act, noop, refused) and reason (none; why it was refused: "
        + "unknown-zone, unknown-resource, allow-list, zone-healthy, zone-impaired, halt, second-zone, cooldown, hourly-cap, not-multi-az, both-zones-impaired, "
        + "grace-period, resource-busy, quota-spent; why there was nothing to do: done-by-aws, already-failed-over, no-fail-back).",
        new CounterConfiguration { LabelNames = ["playbook", "intent", "verdict", "reason"] });

    private readonly Counter _actions = factory.CreateCounter("drsentinel_actions_total",
        "Plan steps, by playbook, action and outcome (success, already-done, dry-run, killed, refused, stale, failed).",
        new CounterConfiguration { LabelNames = ["playbook", "action", "outcome"] });

    private readonly Gauge _inFlight = factory.CreateGauge("drsentinel_actions_in_flight", "Plan steps being carried out now.");

    private readonly Gauge _lastAction = factory.CreateGauge("drsentinel_last_action_timestamp_seconds",
        "When a step of this playbook and action last changed something.", new GaugeConfiguration { LabelNames = ["playbook", "action"] });

    private readonly Histogram _firstCall = factory.CreateHistogram("drsentinel_alert_to_first_call_seconds",
        "Time from an alert's arrival at the webhook to the first mutating API call made for it.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });

    private readonly Gauge _testFailoversLeft = factory.CreateGauge("drsentinel_elasticache_test_failovers_remaining",
        "TestFailover calls left in AWS's quota (15 node groups in any rolling 24 hours, per account and region), counting the calls this DrSentinel made.");

    private readonly Gauge _capacityShortfall = factory.CreateGauge("drsentinel_capacity_shortfall_instances",
        "Instances an evacuation asked a group for that are not in service after Actions:CapacityArrivalWithin (AWS could not launch them), "
        + "by group, EKS node group and the zone AWS refused them in; no series while the capacity arrives in time.",
        new GaugeConfiguration { LabelNames = ["autoscaling_group", "nodegroup", "az"] });

    private readonly HashSet<(string Group, string NodeGroup, string Zone)> _shortfallSeries = [];

    /// <summary>Sets each overdue shortfall and removes the series of those that are gone.</summary>
    public void CapacityShortfalls(IReadOnlyCollection<(string Group, string NodeGroup, string Zone, int Missing)> shortfalls)
    {
        lock (_shortfallSeries)
        {
            foreach (var gone in _shortfallSeries.Where(k => !shortfalls.Any(s => (s.Group, s.NodeGroup, s.Zone) == k)).ToList())
            {
                _capacityShortfall.RemoveLabelled(gone.Group, gone.NodeGroup, gone.Zone);
                _shortfallSeries.Remove(gone);
            }
            foreach (var s in shortfalls)
            {
                _capacityShortfall.WithLabels(s.Group, s.NodeGroup, s.Zone).Set(s.Missing);
                _shortfallSeries.Add((s.Group, s.NodeGroup, s.Zone));
            }
        }
    }

    public void TestFailoversRemaining(int remaining) => _testFailoversLeft.Set(remaining);

    public void WebhookAnswered(int status) => _requests.WithLabels(status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    public void AlertsReceived(string playbook, bool firing, string outcome, int count) => _alerts.WithLabels(playbook, firing ? "firing" : "resolved", outcome).Inc(count);

    public void Planned(string playbook, string intent, string verdict, string reason) => _plans.WithLabels(playbook, intent, verdict, reason).Inc();

    public void Acted(string playbook, string action, string outcome, DateTimeOffset at)
    {
        _actions.WithLabels(playbook, action, outcome).Inc();
        if (outcome == "success") _lastAction.WithLabels(playbook, action).Set(at.ToUnixTimeMilliseconds() / 1000.0);
    }

    public IDisposable InFlight()
    {
        _inFlight.Inc();
        return new Release(_inFlight);
    }

    public void FirstCall(TimeSpan sinceArrival) => _firstCall.Observe(sinceArrival.TotalSeconds);

    private sealed class Release(Gauge gauge) : IDisposable
    {
        public void Dispose() => gauge.Dec();
    }
}
