using Prometheus;

namespace DrSentinel.Metrics;

/// <summary>Counts and times every call DrSentinel makes to AWS and Kubernetes, by outcome.</summary>
public sealed class ApiCallRecorder(IMetricFactory factory)
{
    private readonly Counter _calls = factory.CreateCounter("drsentinel_api_calls_total",
        "API calls DrSentinel made to AWS and Kubernetes, by system, service, operation and outcome.",
        new CounterConfiguration { LabelNames = ["system", "service", "operation", "outcome"] });

    private readonly Histogram _duration = factory.CreateHistogram("drsentinel_api_call_duration_seconds",
        "Time taken by API calls DrSentinel made to AWS and Kubernetes, by system, service and operation.",
        new HistogramConfiguration { LabelNames = ["system", "service", "operation"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 12) });

    /// <summary>Counts a call; its duration goes to the histogram unless it has none (a watch that stays open).</summary>
    public void Record(string system, string service, string operation, string outcome, TimeSpan? elapsed)
    {
        _calls.WithLabels(system, service, operation, outcome).Inc();
        if (elapsed is { } duration) _duration.WithLabels(system, service, operation).Observe(duration.TotalSeconds);
    }
}
