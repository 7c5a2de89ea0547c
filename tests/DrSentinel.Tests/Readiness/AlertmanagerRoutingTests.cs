using DrSentinel.Readiness;

namespace DrSentinel.Tests.Readiness;

/// <summary>The route tree walked as Alertmanager walks it, on configurations as its API v2 shows them.</summary>
public sealed class AlertmanagerRoutingTests
{
    private const string Config = """
        route:
          receiver: ticket
          group_wait: 30s
          repeat_interval: 12h
          routes:
          - receiver: drsentinel
            matchers:
            - alertname=~"DrSentinelAzUnavailable|DrSentinelHeartbeat"
            group_wait: 0s
            repeat_interval: 5m
            continue: true
          - matchers:
            - severity="critical"
            - cluster!="staging"
            routes:
            - receiver: pager
              match_re:
                az: eu-central-1[ab]
            - receiver: night
              match:
                team: db
              group_interval: 1h30m
          - receiver: never
            matchers:
            - '{alertname="DrSentinelAzUnavailable", severity="critical"}'
        receivers:
        - name: ticket
          webhook_configs:
          - url: https://tickets.example.com/alertmanager
        - name: drsentinel
          webhook_configs:
          - send_resolved: true
            http_config:
              authorization:
                type: Bearer
                credentials_file: /etc/alertmanager/secrets/token
            url: http://drsentinel.drsentinel.svc:9464/alertmanager/webhook
        - name: pager
        """;

    private static Dictionary<string, string> Labels(params string[] pairs) =>
        pairs.Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    private static string Where(AlertmanagerRouting routing, params string[] labels) => string.Join(",", routing.Match(Labels(labels)).Select(d => d.Receiver));

    [Fact]
    public void Match_AContinueRoute_GoesOnToTheNextMatchingSibling_AndAChildWithoutMatchersInheritsItsParentsReceiver()
    {
        var routing = AlertmanagerRouting.Parse(Config);

        Assert.Equal("drsentinel,pager", Where(routing, "alertname=DrSentinelAzUnavailable", "severity=critical", "az=eu-central-1a"));
        // The critical route matches but none of its children: it is the destination, with the root's receiver.
        Assert.Equal("drsentinel,ticket", Where(routing, "alertname=DrSentinelAzUnavailable", "severity=critical", "az=eu-central-1c"));
        Assert.Equal("ticket", Where(routing, "alertname=Other", "severity=critical", "cluster=staging", "az=eu-central-1a"));
        Assert.Equal("night", Where(routing, "alertname=Other", "severity=critical", "az=eu-central-1c", "team=db"));
        Assert.Equal("drsentinel", Where(routing, "alertname=DrSentinelHeartbeat", "severity=none"));
    }

    [Fact]
    public void Match_TimingsAreInherited_AndOverriddenWhereARouteSetsThem()
    {
        var routing = AlertmanagerRouting.Parse(Config);

        var drsentinel = routing.Match(Labels("alertname=DrSentinelHeartbeat"))[0];
        var night = routing.Match(Labels("alertname=Other", "severity=critical", "team=db"))[0];

        Assert.Equal((TimeSpan.Zero, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5)), (drsentinel.GroupWait, drsentinel.GroupInterval, drsentinel.RepeatInterval));
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(90), TimeSpan.FromHours(12)), (night.GroupWait, night.GroupInterval, night.RepeatInterval));
    }

    [Fact]
    public void Webhooks_SayTheUrlWhetherResolvedAreSentAndWhetherACredentialIsSet()
    {
        var routing = AlertmanagerRouting.Parse(Config);

        Assert.Equal(new AlertmanagerWebhook("http://drsentinel.drsentinel.svc:9464/alertmanager/webhook", true, true), Assert.Single(routing.Webhooks("drsentinel")));
        Assert.False(Assert.Single(routing.Webhooks("ticket")).HasCredential);
        Assert.Empty(routing.Webhooks("pager"));
        Assert.Empty(routing.Webhooks("no-such-receiver"));
    }

    [Theory]
    [InlineData("alertname=\"A\"", "alertname=A", true)]
    [InlineData("alertname = A", "alertname=A", true)]
    [InlineData("alertname=~\"A|B\"", "alertname=B", true)]
    [InlineData("alertname=~\"A\"", "alertname=AB", false)] // anchored
    [InlineData("alertname!~\"A.*\"", "alertname=B", true)]
    [InlineData("az!=\"eu-central-1a\"", "alertname=A", true)] // an absent label is the empty string
    [InlineData("az=\"\"", "alertname=A", true)]
    public void ParseMatchers_ReadsEachOperator_AsAlertmanagerDoes(string matcher, string label, bool matches)
    {
        var parsed = AlertmanagerRouting.ParseMatchers(matcher).ToList();

        Assert.Equal(matches, parsed.All(m => m(Labels(label))));
    }

    [Fact]
    public void Parse_SomethingThatIsNotAConfiguration_IsAFormatException()
    {
        Assert.Throws<FormatException>(() => AlertmanagerRouting.Parse("global: {}\n"));
        Assert.Throws<FormatException>(() => AlertmanagerRouting.Parse("route: [unclosed\n"));
    }
}
