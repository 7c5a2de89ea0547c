using DrSentinel.Alerting;

namespace DrSentinel.Incidents;

/// <summary>
/// `DrSentinel incidents list` and `DrSentinel incidents show ID [--format json]`: read the record in
/// Receiver:StateDirectory (a pod's volume, or the development run's) and print it, the report as Markdown by default.
/// Starts nothing; works beside a running DrSentinel (`kubectl exec`).
/// </summary>
public static class IncidentsCommand
{
    public const string Verb = "incidents";

    /// <summary>The host's arguments: the verb and its operands are not settings.</summary>
    public static string[] HostArguments(string[] args) => [.. args.SkipWhile(a => !a.StartsWith('-'))];

    public static int Run(string[] args, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        var directory = configuration.GetSection(ReceiverOptions.Section).Get<ReceiverOptions>()?.StateDirectory ?? new ReceiverOptions().StateDirectory;
        var path = Path.Combine(directory, IncidentLog.FileName);
        var (entries, unreadable) = IncidentLog.Read(path);
        if (unreadable > 0) error.WriteLine($"drsentinel incidents: {unreadable} line(s) of {path} cannot be read and are left out");
        var incidents = Incident.Fold(entries);
        switch (args)
        {
            case [_, "list", ..]:
                if (incidents.IsEmpty) error.WriteLine($"drsentinel incidents: none kept in {path}");
                foreach (var i in incidents.Reverse())
                    output.WriteLine($"{i.Id}\t{(i.Open ? "open" : "closed")}\t{i.Began.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z\t{i.Timeline.Length} entries");
                return 0;
            case [_, "show", var id, ..] when !id.StartsWith('-'):
                if (incidents.FirstOrDefault(i => i.Id == id) is not { } incident)
                {
                    error.WriteLine($"drsentinel incidents: no incident {id} in {path} (`incidents list` shows what is kept)");
                    return 1;
                }
                output.Write(configuration["format"] == "json"
                    ? System.Text.Json.JsonSerializer.Serialize(new IncidentView(IncidentSummary.From(incident), incident.Timeline), IncidentViewJsonContext.Default.IncidentView) + "\n"
                    : IncidentReport.Markdown(incident));
                return 0;
            default:
                error.WriteLine("usage: DrSentinel incidents list | incidents show ID [--format json] [--Receiver:StateDirectory=DIR]");
                return 2;
        }
    }
}
