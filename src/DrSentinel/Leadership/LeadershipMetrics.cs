using Prometheus;

namespace DrSentinel.Leadership;

/// <summary>drsentinel_leader, drsentinel_leader_term, drsentinel_leader_transitions_total, drsentinel_fenced_calls_total.</summary>
public sealed class LeadershipMetrics(IMetricFactory factory)
{
    private readonly Gauge _leader = factory.CreateGauge("drsentinel_leader",
        "1 while this replica leads (plans and acts), 0 while it follows.", new GaugeConfiguration { LabelNames = ["replica"] });
    private readonly Gauge _term = factory.CreateGauge("drsentinel_leader_term",
        "The term this replica leads in (the Lease's leaseTransitions when it took it); -1 while it follows.");
    private readonly Counter _transitions = factory.CreateCounter("drsentinel_leader_transitions_total",
        "Times this replica took the Lease.");
    private readonly Counter _fenced = factory.CreateCounter("drsentinel_fenced_calls_total",
        "Mutating calls refused because this replica no longer led the term its plan began in.");

    public void Leading(string replica, bool leading, int term)
    {
        _leader.WithLabels(replica).Set(leading ? 1 : 0);
        _term.Set(term);
    }

    public void Transition() => _transitions.Inc();

    public void Fenced() => _fenced.Inc();
}
