namespace DrSentinel.Sandbox.Kubernetes;

/// <summary>A Kubernetes label selector: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a</c>, <c>!a</c>, <c>a in (x,y)</c>, <c>a notin (x,y)</c>.</summary>
internal sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements = [];

    public static LabelSelector Parse(string? text)
    {
        var selector = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text)) return selector;
        foreach (var term in SplitTerms(text))
            selector._requirements.Add(ParseTerm(term.Trim()));
        return selector;
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r(labels));

    private static IEnumerable<string> SplitTerms(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    private static string Key(string key, string term) =>
        ObjectMeta.KeyProblem(key) is { } problem ? throw new FormatException($"invalid label key \"{key}\" in '{term}': {problem}") : key;

    private static string Value(string value, string term) =>
        ObjectMeta.LabelValueProblem(value) is { } problem ? throw new FormatException($"invalid label value \"{value}\" in '{term}': {problem}") : value;

    private static Func<IReadOnlyDictionary<string, string>, bool> ParseTerm(string term)
    {
        if (term.Length == 0) throw new FormatException("empty label selector term");
        var words = term.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 2 && (words[1].StartsWith("in ", StringComparison.Ordinal) || words[1].StartsWith("notin ", StringComparison.Ordinal)))
        {
            var negate = words[1].StartsWith("notin", StringComparison.Ordinal);
            var set = words[1][(negate ? 5 : 2)..].Trim();
            if (!set.StartsWith('(') || !set.EndsWith(')')) throw new FormatException($"invalid set in label selector term '{term}'");
            if (set[1..^1].Trim().Length == 0) throw new FormatException($"for 'in', 'notin' operators, values set can't be empty in '{term}'");
            var values = set[1..^1].Split(',', StringSplitOptions.TrimEntries).Select(v => Value(v, term)).ToHashSet(StringComparer.Ordinal);
            var key = Key(words[0], term);
            return negate
                ? labels => !labels.TryGetValue(key, out var v) || !values.Contains(v)
                : labels => labels.TryGetValue(key, out var v) && values.Contains(v);
        }
        foreach (var op in new[] { "!=", "==", "=" })
        {
            var at = term.IndexOf(op, StringComparison.Ordinal);
            if (at <= 0) continue;
            var key = Key(term[..at].Trim(), term);
            var value = Value(term[(at + op.Length)..].Trim(), term);
            return op == "!="
                ? labels => !labels.TryGetValue(key, out var v) || v != value
                : labels => labels.TryGetValue(key, out var v) && v == value;
        }
        if (term.StartsWith('!'))
        {
            var absent = Key(term[1..].Trim(), term);
            return labels => !labels.ContainsKey(absent);
        }
        var present = Key(term, term);
        return labels => labels.ContainsKey(present);
    }
}
