using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using DrSentinel.Actions;
using DrSentinel.Alerting;
using DrSentinel.Inventory;
using Microsoft.Extensions.Options;

namespace DrSentinel.Readiness;

public sealed record ReadinessCheckView(string Check, string Verdict, string Reason, string Remedy, IReadOnlyList<string> Evidence);

public sealed record ReadinessView(DateTimeOffset At, string Verdict, IReadOnlyList<ReadinessCheckView> Checks)
{
    public static string Word(ReadinessVerdict verdict) => verdict switch
    {
        ReadinessVerdict.Ready => "ready",
        ReadinessVerdict.NotReady => "not-ready",
        _ => "could-not-check",
    };

    public static ReadinessView From(ReadinessReport report) => new(report.At, Word(report.Verdict),
        [.. report.Checks.Select(c => new ReadinessCheckView(c.Check, Word(c.Verdict), c.Reason, c.Remedy, c.Evidence))]);
}

[JsonSerializable(typeof(ReadinessView))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
internal sealed partial class ReadinessJsonContext : JsonSerializerContext;

public static class ReadinessEndpoints
{
    public static IServiceCollection AddReadiness(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReadinessOptions>().Bind(configuration.GetSection(ReadinessOptions.Section)).ValidateOnStart()
            .Validate(o => o.Every >= TimeSpan.FromSeconds(10) && o.Every <= TimeSpan.FromDays(1), "Readiness:Every must be between 10 s and 1 day")
            .Validate(o => o.PrometheusUrl is null || (o.PrometheusUrl.IsAbsoluteUri && o.PrometheusUrl.Scheme is "http" or "https"), "Readiness:PrometheusUrl must be an absolute http(s) URL")
            .Validate(o => o.WebhookUrl is null || (o.WebhookUrl.IsAbsoluteUri && o.WebhookUrl.Scheme is "http" or "https"), "Readiness:WebhookUrl must be an absolute http(s) URL")
            .Validate(o => o.HeartbeatWithin is null || o.HeartbeatWithin > TimeSpan.Zero, "Readiness:HeartbeatWithin must be positive");
        services.AddSingleton<ReadinessMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<ReadinessMonitor>());
        return services;
    }

    /// <summary>GET /readiness: every check run now, as JSON (behind the operators' token when the receiver is on).</summary>
    public static IEndpointRouteBuilder MapReadiness(this IEndpointRouteBuilder app)
    {
        var receiver = app.ServiceProvider.GetRequiredService<IOptions<ReceiverOptions>>().Value.Enabled;
        app.MapGet("/readiness", async context =>
        {
            if (receiver && !await OperatorAuthentication.AuthenticatedAsync(context)) return;
            var report = await context.RequestServices.GetRequiredService<ReadinessMonitor>().RunAsync(context.RequestAborted);
            await Results.Json(ReadinessView.From(report), ReadinessJsonContext.Default.ReadinessView).ExecuteAsync(context);
        });
        return app;
    }

    /// <summary>The report as Markdown, for `doctor` and humans.</summary>
    public static string Markdown(ReadinessReport report)
    {
        static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# DrSentinel readiness for a zone loss: {ReadinessView.Word(report.Verdict)}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"{report.At.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC\n\n| check | verdict | reason | what to do |\n|---|---|---|---|\n");
        foreach (var check in report.Checks)
            text.Append(CultureInfo.InvariantCulture, $"| {check.Check} | {ReadinessView.Word(check.Verdict)} | {Cell(check.Reason)} | {Cell(check.Remedy)} |\n");
        var evidence = report.Checks.Where(c => !c.Evidence.IsEmpty).ToList();
        if (evidence.Count > 0)
        {
            text.Append("\n## Evidence\n");
            foreach (var check in evidence)
                text.Append(CultureInfo.InvariantCulture, $"\n{check.Check}:\n").Append(string.Concat(check.Evidence.Select(e => $"- {e}\n")));
        }
        return text.ToString();
    }
}

/// <summary>
/// `DrSentinel doctor`: reads the inventory once, runs every readiness check, prints the verdict as Markdown on stdout and
/// exits 0 (ready), 1 (not ready) or 2 (could not check). It never acts: the receiver and the engine are not started.
/// </summary>
public static class DoctorCommand
{
    public const string Verb = "doctor";

    public static string[] HostArguments(string[] args) => [.. args.Skip(1), "--Receiver:Enabled=false", "--Readiness:ForDoctor=true", "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"];

    public static async Task<int> RunAsync(WebApplication app, TextWriter output)
    {
        await app.StartAsync();
        try
        {
            var store = app.Services.GetRequiredService<InventoryStore>();
            var complete = await PreviewCommand.WaitForInventoryAsync(store, app.Services.GetServices<IInventorySource>().ToList(), app.Services.GetRequiredService<TimeProvider>());
            var report = await app.Services.GetRequiredService<ReadinessMonitor>().RunAsync(CancellationToken.None);
            await output.WriteAsync(ReadinessEndpoints.Markdown(report));
            return report.Verdict switch
            {
                ReadinessVerdict.NotReady => 1,
                ReadinessVerdict.CouldNotCheck => 2,
                _ => complete ? 0 : 2,
            };
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
