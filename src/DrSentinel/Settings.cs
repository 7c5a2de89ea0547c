using System.Globalization;

namespace DrSentinel;

/// <summary>Checks shared by the options validators (no reflection: the Native AOT build trims DataAnnotations' way).</summary>
internal static class Settings
{
    /// <summary>Adds a problem naming <paramref name="key"/> when <paramref name="value"/> is outside [min, max].</summary>
    public static void Within(List<string> problems, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max) problems.Add($"{key} must be between {Text(min)} and {Text(max)}, not {Text(value)}");
    }

    private static string Text(TimeSpan t) => t switch
    {
        { TotalHours: >= 1 } when t.TotalHours % 1 == 0 => $"{t.TotalHours.ToString(CultureInfo.InvariantCulture)} h",
        { TotalMinutes: >= 1 } when t.TotalMinutes % 1 == 0 => $"{t.TotalMinutes.ToString(CultureInfo.InvariantCulture)} min",
        { TotalSeconds: >= 1 } => $"{t.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s",
        _ => $"{t.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms",
    };
}
