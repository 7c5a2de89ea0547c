using System.Diagnostics;
using Prometheus;

namespace DrSentinel.Metrics;

/// <summary>
/// The process series Prometheus clients conventionally export, read from cheap runtime counters. prometheus-net's
/// DotNetStats refreshes a Process object (handles, threads) on every scrape, which cost 2 ms a scrape here.
/// </summary>
public sealed class ProcessMetrics
{
    private static readonly double StartTime = new DateTimeOffset(Process.GetCurrentProcess().StartTime).ToUnixTimeMilliseconds() / 1000.0;

    public ProcessMetrics(CollectorRegistry registry, IMetricFactory factory)
    {
        var cpu = factory.CreateCounter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
        var resident = factory.CreateGauge("process_resident_memory_bytes", "Resident memory size in bytes.");
        var start = factory.CreateGauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.");
        var heap = factory.CreateGauge("dotnet_total_memory_bytes", "Bytes the .NET garbage collector considers allocated.");
        var collections = factory.CreateCounter("dotnet_collection_count_total", "Garbage collections since the process started, by generation.",
            new CounterConfiguration { LabelNames = ["generation"] });
        start.Set(StartTime);
        registry.AddBeforeCollectCallback(() =>
        {
            cpu.IncTo(Environment.CpuUsage.TotalTime.TotalSeconds);
            resident.Set(Environment.WorkingSet);
            heap.Set(GC.GetTotalMemory(forceFullCollection: false));
            for (var generation = 0; generation <= GC.MaxGeneration; generation++)
                collections.WithLabels(generation.ToString(System.Globalization.CultureInfo.InvariantCulture)).IncTo(GC.CollectionCount(generation));
        });
    }
}
