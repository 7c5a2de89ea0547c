using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DrSentinel;

public static class TracingServiceCollectionExtensions
{
    /// <summary>
    /// Traces of what the receiver and the engine do, exported over OTLP when the standard variables name a collector
    /// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, with OTEL_EXPORTER_OTLP_PROTOCOL and the
    /// rest read by the exporter itself). Without them nothing is registered and nothing is recorded.
    /// </summary>
    public static IServiceCollection AddDrSentinelTracing(this IServiceCollection services, IConfiguration configuration)
    {
        if (string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) && string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]))
            return services;
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["OTEL_SERVICE_NAME"] ?? "drsentinel"))
            .WithTracing(tracing => tracing.AddSource(Observability.SourceName).AddOtlpExporter());
        return services;
    }
}
