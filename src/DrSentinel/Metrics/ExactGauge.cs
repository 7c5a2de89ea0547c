using Prometheus;

namespace DrSentinel.Metrics;

/// <summary>A gauge whose series are replaced as a set: a series not given again is removed, so a gone zone or instance stops being exported.</summary>
internal sealed class ExactGauge(IMetricFactory factory, string name, string help, params string[] labels)
{
    private readonly Gauge _gauge = factory.CreateGauge(name, help, new GaugeConfiguration { LabelNames = labels, SuppressInitialValue = true });

    public void Replace(IEnumerable<(string[] Labels, double Value)> series)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (labels, value) in series)
        {
            _gauge.WithLabels(labels).Set(value);
            keep.Add(string.Join('\u001f', labels));
        }
        foreach (var labels in _gauge.GetAllLabelValues().ToList())
            if (!keep.Contains(string.Join('\u001f', labels))) _gauge.RemoveLabelled(labels);
    }
}
