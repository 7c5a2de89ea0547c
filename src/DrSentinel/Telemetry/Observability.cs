using System.Diagnostics;

namespace DrSentinel;

/// <summary>The one ActivitySource: webhook → plan → each step → each API call, one trace per alert.</summary>
internal static class Observability
{
    public const string SourceName = "DrSentinel";

    public static readonly ActivitySource Source = new(SourceName);
}
