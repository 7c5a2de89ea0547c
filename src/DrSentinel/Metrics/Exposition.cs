using System.Globalization;
using System.Text;

namespace DrSentinel.Metrics;

/// <summary>One gauge family of the Prometheus text format: its name, help and label names.</summary>
internal sealed record GaugeFamily(string Name, string Help, params string[] Labels);

/// <summary>
/// Writes gauge families in the Prometheus text exposition format (version 0.0.4) into one buffer per scrape, so a
/// scrape shows exactly one snapshot: nothing is shared between two scrapes that could interleave.
/// </summary>
internal sealed class ExpositionWriter
{
    private readonly StringBuilder _text = new(16 * 1024);

    public void Write(GaugeFamily family, IEnumerable<(string[] Labels, double Value)> series)
    {
        _text.Append("# HELP ").Append(family.Name).Append(' ');
        AppendEscaped(family.Help, quote: false);
        _text.Append("\n# TYPE ").Append(family.Name).Append(" gauge\n");
        foreach (var (labels, value) in series)
        {
            if (labels.Length != family.Labels.Length)
                throw new ArgumentException($"{family.Name} takes {family.Labels.Length} label values, not {labels.Length}", nameof(series));
            _text.Append(family.Name);
            if (labels.Length > 0)
            {
                _text.Append('{');
                for (var i = 0; i < labels.Length; i++)
                {
                    if (i > 0) _text.Append(',');
                    _text.Append(family.Labels[i]).Append("=\"");
                    AppendEscaped(labels[i], quote: true);
                    _text.Append('"');
                }
                _text.Append('}');
            }
            _text.Append(' ').Append(Format(value)).Append('\n');
        }
    }

    public override string ToString() => _text.ToString();

    /// <summary>Backslash and newline escaped, and in label values the double quote too.</summary>
    private void AppendEscaped(string value, bool quote)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': _text.Append(@"\\"); break;
                case '\n': _text.Append(@"\n"); break;
                case '"' when quote: _text.Append("\\\""); break;
                default: _text.Append(c); break;
            }
        }
    }

    private static string Format(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };
}
