using Prometheus;

namespace DrSentinel;

/// <summary>Counts and times every call DrSentinel makes to AWS and Kubernetes, by outcome.</summary>
public sealed class ApiCallRecorder(IMetricFactory factory, TimeProvider time)
{
    private readonly Counter _calls = factory.CreateCounter("drsentinel_api_calls_total",
        "API calls DrSentinel made to AWS and Kubernetes, by system, service, operation and outcome.",
        new CounterConfiguration { LabelNames = ["system", "service", "operation", "outcome"] });

    private readonly Histogram _duration = factory.CreateHistogram("drsentinel_api_call_duration_seconds",
        "Time taken by API calls DrSentinel made to AWS and Kubernetes, by system, service and operation.",
        new HistogramConfiguration { LabelNames = ["system", "service", "operation"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 12) });

    private readonly Gauge _awsClockSkew = factory.CreateGauge("drsentinel_aws_clock_skew_seconds",
        "AWS's clock (the Date of its last answer) minus this host's, in seconds: AWS refuses requests signed more than 5 minutes off.");

    private long _awsClockSkewTicks = long.MinValue; // none seen yet

    /// <summary>AWS's clock minus this host's, from the Date of AWS's last answer (1 s resolution); null before the first.</summary>
    public TimeSpan? AwsClockSkew => Interlocked.Read(ref _awsClockSkewTicks) is var ticks && ticks != long.MinValue ? TimeSpan.FromTicks(ticks) : null;

    /// <summary>An AWS answer arrived (any status: a refusal for skew has a Date too) dated <paramref name="serverDate"/>.</summary>
    public void AwsAnswered(DateTimeOffset? serverDate)
    {
        if (serverDate is not { } date) return;
        var skew = date - time.GetUtcNow();
        Interlocked.Exchange(ref _awsClockSkewTicks, skew.Ticks);
        _awsClockSkew.Set(Math.Round(skew.TotalSeconds));
    }

    /// <summary>Runs one Kubernetes API call and records it: success, throttled (429), or error.</summary>
    public async Task<T> KubernetesAsync<T>(string operation, Func<Task<T>> call)
    {
        var started = time.GetTimestamp();
        try
        {
            var result = await call().ConfigureAwait(false);
            Record("kubernetes", "core", operation, "success", time.GetElapsedTime(started));
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var throttled = e is k8s.Autorest.HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.TooManyRequests };
            Record("kubernetes", "core", operation, throttled ? "throttled" : "error", time.GetElapsedTime(started));
            throw;
        }
    }

    /// <summary>Counts a call; its duration goes to the histogram unless it has none (a watch that stays open).</summary>
    public void Record(string system, string service, string operation, string outcome, TimeSpan? elapsed)
    {
        _calls.WithLabels(system, service, operation, outcome).Inc();
        if (elapsed is { } duration) _duration.WithLabels(system, service, operation).Observe(duration.TotalSeconds);
    }
}
