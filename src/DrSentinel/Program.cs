using DrSentinel;
using DrSentinel.Actions;
using DrSentinel.Alerting;
using DrSentinel.Clients.Aws;
using DrSentinel.Clients.Kubernetes;
using DrSentinel.Drill;
using DrSentinel.Health;
using DrSentinel.Incidents;
using DrSentinel.Inventory;
using DrSentinel.Leadership;
using DrSentinel.Metrics;
using DrSentinel.Readiness;
using DrSentinel.StatusPage;
#if EMBEDDED_SANDBOX
using DrSentinel.SandboxHosting;
#endif
using Microsoft.Extensions.Options;

try
{
    // appsettings.json sits beside the binary; find it whatever the working directory.
    var preview = args is [PreviewCommand.Verb, ..];
    var doctor = args is [DrSentinel.Readiness.DoctorCommand.Verb, ..];
    var incidents = args is [IncidentsCommand.Verb, ..];
    var drill = args is [DrillCommand.Verb, ..] ? DrillOptions.Parse(args) : null;
    var drillState = drill is null ? null : Directory.CreateTempSubdirectory("drsentinel-drill-").FullName;
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions
    {
        Args = preview ? PreviewCommand.HostArguments(args) : doctor ? DrSentinel.Readiness.DoctorCommand.HostArguments(args) : incidents ? IncidentsCommand.HostArguments(args)
            : drill is not null ? DrillCommand.HostArguments(args, drill, drillState!) : args,
        ContentRootPath = AppContext.BaseDirectory,
    });
    // The development run keeps its state where it may write without a mounted volume; a deployment's default is the volume.
    var developmentState = builder.Environment.IsDevelopment() && builder.Configuration["Receiver:StateDirectory"] is null;
    if (developmentState) builder.Configuration["Receiver:StateDirectory"] = Path.Combine(Path.GetTempPath(), "drsentinel");
    if (incidents) return IncidentsCommand.Run(args, builder.Configuration, Console.Out, Console.Error);
#if EMBEDDED_SANDBOX
    await using var sandbox = await builder.AddEmbeddedSandboxAsync();
    // A run's region lives as long as the run: what an earlier run left in the development state directory belongs to
    // a region that is gone, and is set aside rather than carried into this one.
    if (sandbox is not null && developmentState && !preview && !doctor && drill is null) builder.SetAsideEarlierRunsState();
    if (drill is not null && sandbox is not null) DrSentinel.Drill.Live.LiveDrill.Configure(builder, sandbox);
#else
    if (builder.Configuration.GetValue<bool>("Sandbox:Enabled"))
        throw new StartupConfigurationException("Sandbox:Enabled is true, but this build has no sandbox region: run it with `dotnet run --project src/DrSentinel`");
#endif
    // Against a real account a drill only plans: nothing that could act is started.
    if (drill is not null && !builder.Configuration.GetValue<bool>("Sandbox:Enabled")) builder.Configuration["Receiver:Enabled"] = "false";
    // The preview and the drill print their results on stdout; the log goes to stderr.
    if (preview || doctor || drill is not null) builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    builder.Services.AddSingleton(TimeProvider.System);
    builder.Services.AddDrSentinelMetrics();
    builder.Services.AddAws(builder.Configuration);
    builder.Services.AddKubernetes(builder.Configuration);
    builder.Services.AddInventory(builder.Configuration);
    builder.Services.AddLeadership(builder.Configuration);
    builder.Services.AddActions(builder.Configuration);
    builder.Services.AddReadiness(builder.Configuration);
    builder.Services.AddDrSentinelTracing(builder.Configuration);
    builder.Services.AddHealth();

    var app = builder.Build();
    // Every setting is checked before any feature starts, so a bad one is reported by its key, not by what it breaks.
    app.Services.GetRequiredService<IStartupValidator>().Validate();
    app.MapHealth();
    app.MapDrSentinelMetrics();
    app.MapAlertmanagerWebhook();
    app.MapActions();
    app.MapIncidents();
    app.MapStatusPage();
    app.MapReadiness();
#if EMBEDDED_SANDBOX
    app.LogAddressesOnStart();
#endif
    if (preview) return await PreviewCommand.RunAsync(app, Console.Out);
    if (doctor) return await DrSentinel.Readiness.DoctorCommand.RunAsync(app, Console.Out);
    if (drill is not null)
    {
        try
        {
#if EMBEDDED_SANDBOX
            if (sandbox is not null) return await new DrSentinel.Drill.Live.LiveDrill(app, sandbox, drill, Console.Out).RunAsync(app.Lifetime.ApplicationStopping);
#endif
            return await DrillCommand.PlanOnlyAsync(app, Console.Out);
        }
        finally
        {
            Directory.Delete(drillState!, recursive: true);
        }
    }
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is OptionsValidationException or InvalidDataException or StartupConfigurationException)
{
    // A bad setting is the operator's to fix: say which, without a stack trace.
    await Console.Error.WriteLineAsync($"drsentinel: configuration error: {e.Message}");
    return 2;
}
catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is OptionsValidationException))
{
    foreach (var inner in e.InnerExceptions) await Console.Error.WriteLineAsync($"drsentinel: configuration error: {inner.Message}");
    return 2;
}

/// <summary>The host's entry point, visible to tests.</summary>
public partial class Program;
