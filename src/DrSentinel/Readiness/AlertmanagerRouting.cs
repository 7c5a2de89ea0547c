using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace DrSentinel.Readiness;

/// <summary>One webhook of a receiver, as the running configuration shows it.</summary>
public sealed record AlertmanagerWebhook(string? Url, bool SendResolved, bool HasCredential);

/// <summary>Where an alert ends up: the receiver and the timings it inherits.</summary>
public sealed record AlertmanagerDestination(string Receiver, TimeSpan GroupWait, TimeSpan GroupInterval, TimeSpan RepeatInterval);

/// <summary>
/// An Alertmanager's running configuration (API v2 /api/v2/status, config.original), enough to say where an alert goes:
/// the route tree walked as Alertmanager walks it (a route matches when all its matchers do; its children are tried in
/// order, and the first that matches ends the search unless it has <c>continue</c>; a route none of whose children match
/// is itself the destination; receivers and timings are inherited), and each receiver's webhooks.
/// </summary>
public sealed partial class AlertmanagerRouting
{
    private static readonly TimeSpan DefaultGroupWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DefaultGroupInterval = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan DefaultRepeatInterval = TimeSpan.FromHours(4);

    private sealed record Route(ImmutableArray<Func<IReadOnlyDictionary<string, string>, bool>> Matchers, AlertmanagerDestination Destination, bool Continue,
        ImmutableArray<Route> Children);

    private readonly Route _root;
    private readonly ImmutableDictionary<string, ImmutableArray<AlertmanagerWebhook>> _webhooks;

    private AlertmanagerRouting(Route root, ImmutableDictionary<string, ImmutableArray<AlertmanagerWebhook>> webhooks) => (_root, _webhooks) = (root, webhooks);

    /// <summary>Reads the configuration; a <see cref="FormatException"/> says what in it could not be understood.</summary>
    public static AlertmanagerRouting Parse(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new FormatException($"the configuration is not YAML: {e.Message}", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode document) throw new FormatException("the configuration is empty");
        if (Child(document, "route") is not YamlMappingNode route) throw new FormatException("the configuration has no route");
        var root = ReadRoute(route, new AlertmanagerDestination("", DefaultGroupWait, DefaultGroupInterval, DefaultRepeatInterval), isRoot: true);
        var webhooks = ImmutableDictionary.CreateBuilder<string, ImmutableArray<AlertmanagerWebhook>>(StringComparer.Ordinal);
        if (Child(document, "receivers") is YamlSequenceNode receivers)
            foreach (var receiver in receivers.OfType<YamlMappingNode>())
                if (Scalar(receiver, "name") is { } name)
                    webhooks[name] = Child(receiver, "webhook_configs") is YamlSequenceNode hooks ? [.. hooks.OfType<YamlMappingNode>().Select(ReadWebhook)] : [];
        return new AlertmanagerRouting(root, webhooks.ToImmutable());
    }

    /// <summary>Every destination of an alert with <paramref name="labels"/>, in the order Alertmanager would notify them.</summary>
    public IReadOnlyList<AlertmanagerDestination> Match(IReadOnlyDictionary<string, string> labels) => Match(_root, labels) ?? [];

    /// <summary>The webhooks of a receiver (none when it has none, or no such receiver exists).</summary>
    public ImmutableArray<AlertmanagerWebhook> Webhooks(string receiver) => _webhooks.GetValueOrDefault(receiver, []);

    private static List<AlertmanagerDestination>? Match(Route route, IReadOnlyDictionary<string, string> labels)
    {
        if (!route.Matchers.All(m => m(labels))) return null;
        var all = new List<AlertmanagerDestination>();
        foreach (var child in route.Children)
        {
            var found = Match(child, labels);
            if (found is null) continue;
            all.AddRange(found);
            if (!child.Continue) break;
        }
        if (all.Count == 0) all.Add(route.Destination);
        return all;
    }

    private static Route ReadRoute(YamlMappingNode node, AlertmanagerDestination parent, bool isRoot)
    {
        var destination = new AlertmanagerDestination(
            Scalar(node, "receiver") is { Length: > 0 } receiver ? receiver : parent.Receiver,
            Duration(node, "group_wait") ?? parent.GroupWait,
            Duration(node, "group_interval") ?? parent.GroupInterval,
            Duration(node, "repeat_interval") ?? parent.RepeatInterval);
        var matchers = ImmutableArray.CreateBuilder<Func<IReadOnlyDictionary<string, string>, bool>>();
        if (!isRoot)
        {
            if (Child(node, "matchers") is YamlSequenceNode list)
                foreach (var text in list.OfType<YamlScalarNode>().Select(s => s.Value ?? ""))
                    matchers.AddRange(ParseMatchers(text));
            if (Child(node, "match") is YamlMappingNode equal)
                foreach (var (key, value) in Pairs(equal)) matchers.Add(Matcher(key, "=", value));
            if (Child(node, "match_re") is YamlMappingNode regex)
                foreach (var (key, value) in Pairs(regex)) matchers.Add(Matcher(key, "=~", value));
        }
        var children = Child(node, "routes") is YamlSequenceNode routes
            ? routes.OfType<YamlMappingNode>().Select(r => ReadRoute(r, destination, isRoot: false)).ToImmutableArray()
            : [];
        return new Route(matchers.ToImmutable(), destination, Scalar(node, "continue") == "true", children);
    }

    private static AlertmanagerWebhook ReadWebhook(YamlMappingNode hook)
    {
        var http = Child(hook, "http_config") as YamlMappingNode;
        var authorization = http is null ? null : Child(http, "authorization") as YamlMappingNode;
        var basic = http is null ? null : Child(http, "basic_auth") as YamlMappingNode;
        var credential = (authorization is not null && (Scalar(authorization, "credentials") is { Length: > 0 } || Scalar(authorization, "credentials_file") is { Length: > 0 }))
                         || (http is not null && (Scalar(http, "bearer_token") is { Length: > 0 } || Scalar(http, "bearer_token_file") is { Length: > 0 }))
                         || (basic is not null && Scalar(basic, "username") is { Length: > 0 });
        return new AlertmanagerWebhook(Scalar(hook, "url"), Scalar(hook, "send_resolved") != "false", credential);
    }

    /// <summary>
    /// One entry of a route's <c>matchers</c>: <c>name op value</c> with op one of = != =~ !~, the value quoted or not, or
    /// several of them in braces separated by commas.
    /// </summary>
    internal static IEnumerable<Func<IReadOnlyDictionary<string, string>, bool>> ParseMatchers(string text)
    {
        var body = text.Trim();
        if (body.StartsWith('{') && body.EndsWith('}')) body = body[1..^1];
        foreach (Match m in MatcherPattern().Matches(body))
        {
            var value = m.Groups["value"].Value.Trim();
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"') value = Regex.Unescape(value[1..^1]);
            yield return Matcher(m.Groups["name"].Value, m.Groups["op"].Value, value);
        }
    }

    private static Func<IReadOnlyDictionary<string, string>, bool> Matcher(string name, string op, string value)
    {
        // Alertmanager anchors its regular expressions; an absent label matches as the empty string.
        var regex = op is "=~" or "!~" ? new Regex($"^(?:{value})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)) : null;
        return op switch
        {
            "=" => labels => labels.GetValueOrDefault(name, "") == value,
            "!=" => labels => labels.GetValueOrDefault(name, "") != value,
            "=~" => labels => regex!.IsMatch(labels.GetValueOrDefault(name, "")),
            _ => labels => !regex!.IsMatch(labels.GetValueOrDefault(name, "")),
        };
    }

    [GeneratedRegex("""\s*(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?<op>=~|!~|!=|=)\s*(?<value>"(?:[^"\\]|\\.)*"|[^,]*)\s*,?""")]
    private static partial Regex MatcherPattern();

    /// <summary>Alertmanager's durations: 30s, 5m, 1h30m, 1d, 1w.</summary>
    internal static TimeSpan? Duration(YamlMappingNode node, string key)
    {
        if (Scalar(node, key) is not { Length: > 0 } text) return null;
        var total = TimeSpan.Zero;
        foreach (Match part in DurationPart().Matches(text))
        {
            var n = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                "d" => TimeSpan.FromDays(n),
                "w" => TimeSpan.FromDays(7 * n),
                _ => TimeSpan.FromDays(365 * n),
            };
        }
        return total;
    }

    [GeneratedRegex("([0-9]+)(ms|s|m|h|d|w|y)")]
    private static partial Regex DurationPart();

    private static YamlNode? Child(YamlMappingNode node, string key) => node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlMappingNode node, string key) => Child(node, key) is YamlScalarNode scalar ? scalar.Value : null;

    private static IEnumerable<(string Key, string Value)> Pairs(YamlMappingNode node) =>
        node.Children.Where(c => c.Key is YamlScalarNode && c.Value is YamlScalarNode)
            .Select(c => (((YamlScalarNode)c.Key).Value ?? "", ((YamlScalarNode)c.Value).Value ?? ""));
}
