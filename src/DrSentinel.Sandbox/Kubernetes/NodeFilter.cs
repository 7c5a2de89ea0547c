using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox.Kubernetes;

/// <summary>
/// What a node list or watch asks for: a label selector and a field selector. Nodes support the field labels
/// metadata.name and spec.unschedulable (=, ==, !=); anything else is refused, as the API server refuses it.
/// </summary>
internal sealed class NodeFilter
{
    private readonly LabelSelector _labels;
    private readonly List<Func<NodeSnapshot, bool>> _fields = [];

    private NodeFilter(LabelSelector labels) => _labels = labels;

    /// <summary>Throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static NodeFilter Parse(string? labelSelector, string? fieldSelector)
    {
        var filter = new NodeFilter(LabelSelector.Parse(labelSelector));
        if (string.IsNullOrWhiteSpace(fieldSelector)) return filter;
        foreach (var term in fieldSelector.Split(','))
        {
            var (key, value, negated) = term.Split("!=", 2) is [var k, var v] ? (k, v, true)
                : term.Split("==", 2) is [var k2, var v2] ? (k2, v2, false)
                : term.Split('=', 2) is [var k3, var v3] ? (k3, v3, false)
                : throw new FormatException($"invalid field selector: '{fieldSelector}': '{term}' is not of the form key=value");
            Func<NodeSnapshot, string> field = key.Trim() switch
            {
                "metadata.name" => n => n.Name,
                "spec.unschedulable" => n => n.Unschedulable ? "true" : "false",
                var other => throw new FormatException($"field label not supported: {other}"),
            };
            var wanted = value.Trim();
            filter._fields.Add(n => (field(n) == wanted) != negated);
        }
        return filter;
    }

    public bool Matches(NodeSnapshot node) => _labels.Matches(NodeJson.Labels(node)) && _fields.All(f => f(node));
}
