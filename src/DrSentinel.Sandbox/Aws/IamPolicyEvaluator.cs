using System.Text.Json;
using System.Text.RegularExpressions;

namespace DrSentinel.Sandbox.Aws;

/// <summary>
/// IAM's evaluation of one identity policy for one request, as the IAM user guide's policy evaluation logic and its
/// condition operator reference describe it: an explicit Deny wins, else an Allow, else the request is implicitly denied.
/// A statement applies when its Action (or NotAction) and Resource (or NotResource) match — wildcards * and ?, actions
/// case-insensitively — and every condition operator holds: every key in it (AND), any of its values (OR). A key missing
/// from the request fails a positive operator and satisfies a negated one; ...IfExists holds when the key is missing;
/// ForAllValues holds when every request value matches (vacuously when none); ForAnyValue when one does.
/// Checked against @cloud-copilot/iam-simulate on the same questions (IamPolicyTests).
/// </summary>
public static class IamPolicyEvaluator
{
    public const string Allowed = "allowed";
    public const string ImplicitDeny = "implicitDeny";
    public const string ExplicitDeny = "explicitDeny";

    /// <summary>The decision, with the Sid (or index) of the statements that decided it.</summary>
    public static (string Decision, IReadOnlyList<string> Matched) Evaluate(JsonElement policy, string action, string resource,
        IReadOnlyDictionary<string, IReadOnlyList<string>> context)
    {
        var keys = new Dictionary<string, IReadOnlyList<string>>(context, StringComparer.OrdinalIgnoreCase);
        var statements = policy.GetProperty("Statement");
        var list = statements.ValueKind == JsonValueKind.Array ? statements.EnumerateArray().ToList() : [statements];
        var allows = new List<string>();
        var denies = new List<string>();
        for (var i = 0; i < list.Count; i++)
        {
            var statement = list[i];
            if (!Applies(statement, action, resource, keys)) continue;
            var name = statement.TryGetProperty("Sid", out var sid) ? sid.GetString() ?? $"{i}" : $"{i}";
            (statement.GetProperty("Effect").GetString() == "Deny" ? denies : allows).Add(name);
        }
        return denies.Count > 0 ? (ExplicitDeny, denies) : allows.Count > 0 ? (Allowed, allows) : (ImplicitDeny, []);
    }

    private static bool Applies(JsonElement statement, string action, string resource, Dictionary<string, IReadOnlyList<string>> context)
    {
        var actionMatches = statement.TryGetProperty("Action", out var actions)
            ? Values(actions).Any(a => Wildcard(a, action, ignoreCase: true))
            : statement.TryGetProperty("NotAction", out var notActions) && !Values(notActions).Any(a => Wildcard(a, action, ignoreCase: true));
        if (!actionMatches) return false;
        var resourceMatches = statement.TryGetProperty("Resource", out var resources)
            ? Values(resources).Any(r => Wildcard(r, resource, ignoreCase: false))
            : !statement.TryGetProperty("NotResource", out var notResources) || !Values(notResources).Any(r => Wildcard(r, resource, ignoreCase: false));
        if (!resourceMatches) return false;
        if (!statement.TryGetProperty("Condition", out var condition)) return true;
        foreach (var op in condition.EnumerateObject())
            foreach (var key in op.Value.EnumerateObject())
                if (!Holds(op.Name, context.GetValueOrDefault(key.Name), Values(key.Value).ToList()))
                    return false;
        return true;
    }

    private static bool Holds(string op, IReadOnlyList<string>? given, List<string> policyValues)
    {
        var (set, name) = op.StartsWith("ForAllValues:", StringComparison.Ordinal) ? ("all", op["ForAllValues:".Length..])
            : op.StartsWith("ForAnyValue:", StringComparison.Ordinal) ? ("any", op["ForAnyValue:".Length..]) : ("single", op);
        var ifExists = name.EndsWith("IfExists", StringComparison.Ordinal);
        if (ifExists) name = name[..^"IfExists".Length];
        var negated = name.Contains("Not", StringComparison.Ordinal);
        Func<string, string, bool> match = name switch
        {
            "StringEquals" or "StringNotEquals" => (p, v) => string.Equals(p, v, StringComparison.Ordinal),
            "StringEqualsIgnoreCase" or "StringNotEqualsIgnoreCase" => (p, v) => string.Equals(p, v, StringComparison.OrdinalIgnoreCase),
            "StringLike" or "StringNotLike" => (p, v) => Wildcard(p, v, ignoreCase: false),
            "ArnEquals" or "ArnLike" or "ArnNotEquals" or "ArnNotLike" => (p, v) => Wildcard(p, v, ignoreCase: false),
            "Bool" => (p, v) => string.Equals(p, v, StringComparison.OrdinalIgnoreCase),
            _ => throw new NotSupportedException($"the sandbox does not evaluate the condition operator {op}"),
        };
        // Does one request value satisfy the operator against the policy's values (any of them; for a negated one, none)?
        bool One(string value) => negated ? !policyValues.Any(p => match(p, value)) : policyValues.Any(p => match(p, value));
        if (given is null || given.Count == 0)
            return set == "all" || ifExists || (set == "single" && negated);
        return set switch
        {
            "all" => given.All(One),
            "any" => given.Any(One),
            _ => negated ? given.All(One) : given.Any(One),
        };
    }

    private static IEnumerable<string> Values(JsonElement element) => element.ValueKind == JsonValueKind.Array
        ? element.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText())
        : [element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText()];

    private static bool Wildcard(string pattern, string value, bool ignoreCase) =>
        Regex.IsMatch(value, "^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$",
            (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None) | RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
}
