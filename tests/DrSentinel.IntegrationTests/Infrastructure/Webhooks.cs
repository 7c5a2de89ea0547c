using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DrSentinel.Sandbox;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.IntegrationTests.Infrastructure;

/// <summary>Alertmanager webhook bodies (version 4, as Alertmanager 0.25 sends them) and a DrSentinel set up to receive them.</summary>
public static class Webhooks
{
    public const string Token = "s3cret-token-for-tests";

    /// <summary>The operators' own token for the preview and the kill switch (ReceiverSettings writes it beside Alertmanager's).</summary>
    public const string OperatorToken = "operator-token-for-tests";

    /// <summary>Receiver on with a bearer token file and a state directory of its own, acting live on the allowed groups.</summary>
    public static string[] ReceiverSettings(string stateDirectory, bool dryRun = false, params string[] allowedGroups)
    {
        Directory.CreateDirectory(stateDirectory);
        var tokenFile = Path.Combine(stateDirectory, "..", Path.GetFileName(stateDirectory) + ".token");
        File.WriteAllText(tokenFile, Token + "\n");
        var operatorFile = Path.Combine(stateDirectory, "..", Path.GetFileName(stateDirectory) + ".operator-token");
        File.WriteAllText(operatorFile, OperatorToken + "\n");
        return
        [
            "--Receiver:Enabled=true",
            $"--Receiver:BearerTokenFile={tokenFile}",
            $"--Receiver:OperatorTokenFile={operatorFile}",
            $"--Receiver:StateDirectory={stateDirectory}",
            $"--Actions:DryRun={(dryRun ? "true" : "false")}",
            "--Actions:RetryBaseDelay=00:00:00.050",
            .. allowedGroups.Select((g, i) => $"--Actions:AllowedNodeGroups:{i}={g}"),
        ];
    }

    /// <summary>
    /// The receiver acting live on the databases it may fail over, with both data-plane probes on (every 1 s, as every test
    /// host), <paramref name="grace"/> for AWS and a waiting plan looked at again every second.
    /// </summary>
    public static string[] FailoverSettings(string stateDirectory, bool dryRun, string grace, params string[] databases) =>
    [
        .. ReceiverSettings(stateDirectory, dryRun), "--Probes:Postgres:Enabled=true", "--Probes:Redis:Enabled=true",
        $"--Actions:FailoverGrace={grace}", "--Actions:RecheckEvery=00:00:01",
        .. databases.Select((d, i) => $"--Actions:AllowedDatabases:{i}={d}"),
    ];

    /// <summary>GET /readiness with the operators' token: each check's verdict and reason, by name.</summary>
    public static async Task<Dictionary<string, (string Verdict, string Reason)>> ReadinessAsync(DrSentinelHost host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "readiness");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", OperatorToken);
        using var response = await host.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("check").GetString()!, c => (c.GetProperty("verdict").GetString()!, c.GetProperty("reason").GetString()!));
    }

    /// <summary>GET /incidents or /incidents/{id} with the operators' token.</summary>
    public static async Task<System.Text.Json.JsonElement> IncidentsAsync(DrSentinelHost host, string? id = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, id is null ? "incidents" : $"incidents/{id}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", OperatorToken);
        using var response = await host.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(await response.Content.ReadAsStringAsync());
    }

    /// <summary>The one incident kept for <paramref name="zone"/>, once <paramref name="done"/> holds for its timeline's kinds.</summary>
    public static async Task<(string Id, List<(string Kind, string Text, string? Outcome)> Timeline)> IncidentAsync(DrSentinelHost host, string zone,
        Func<List<(string Kind, string Text, string? Outcome)>, bool> done, TimeSpan deadline, string what)
    {
        (string, List<(string, string, string?)>) found = ("", []);
        try
        {
            await Poll.UntilAsync(async () =>
            {
                var list = await IncidentsAsync(host);
                var ids = list.EnumerateArray().Where(i => i.GetProperty("zone").GetString() == zone).Select(i => i.GetProperty("id").GetString()!).ToList();
                if (ids.Count != 1) return false;
                var incident = await IncidentsAsync(host, ids[0]);
                var timeline = incident.GetProperty("timeline").EnumerateArray().Select(e => (e.GetProperty("kind").GetString()!, e.GetProperty("text").GetString()!,
                    e.TryGetProperty("outcome", out var o) ? o.GetString() : null)).ToList();
                found = (ids[0], timeline);
                return done(timeline);
            }, ok => ok, deadline, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; the incident so far:\n" + string.Join('\n', found.Item2.Select(x => $"{x.Item1} {x.Item3}: {x.Item2}")), e);
        }
        return found;
    }

    /// <summary>Alerts the receiver's inbox journal holds as accepted (durably taken), read from its file.</summary>
    public static int AcceptedInInbox(string stateDirectory)
    {
        var journal = Path.Combine(stateDirectory, "inbox", "journal.jsonl");
        return File.Exists(journal) ? File.ReadLines(journal).Count(line => line.StartsWith("{\"Accepted\"", StringComparison.Ordinal)) : 0;
    }

    public static string NewStateDirectory() => Path.Combine(Directory.CreateTempSubdirectory("drsentinel-receiver-").FullName, "state");

    /// <summary>One alert as Alertmanager renders it; <paramref name="fingerprint"/> is what it hashes from the labels.</summary>
    public static JsonObject Alert(string name, string az, bool firing = true, string cluster = "pyairtable", string fingerprint = "a1b2c3d4e5f60718",
        DateTimeOffset? startsAt = null, params (string Name, string Value)[] labels) => new()
    {
        ["status"] = firing ? "firing" : "resolved",
        ["labels"] = Labels(name, az, cluster, labels),
        ["annotations"] = new JsonObject { ["summary"] = $"{name} in {az}" },
        ["startsAt"] = (startsAt ?? new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero)).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        ["endsAt"] = firing ? "0001-01-01T00:00:00Z" : "2026-11-25T03:30:00Z",
        ["generatorURL"] = "http://prometheus:9090/graph",
        ["fingerprint"] = fingerprint,
    };

    private static JsonObject Labels(string name, string az, string cluster, (string Name, string Value)[] more)
    {
        var labels = new JsonObject { ["alertname"] = name, ["az"] = az, ["cluster"] = cluster, ["region"] = "eu-central-1", ["severity"] = "critical" };
        foreach (var (label, value) in more) labels[label] = value;
        return labels;
    }

    /// <summary>DrSentinelRdsPrimaryInImpairedAz for the seed's instance, started <paramref name="startsAt"/> (default: now).</summary>
    public static JsonObject RdsAlert(string az, bool firing = true, DateTimeOffset? startsAt = null, string fingerprint = "d1d2d3d4") =>
        Alert("DrSentinelRdsPrimaryInImpairedAz", az, firing, fingerprint: fingerprint, startsAt: startsAt ?? DateTimeOffset.UtcNow, labels: ("db_instance", "pyairtable-primary"));

    /// <summary>DrSentinelRedisPrimaryInImpairedAz for the seed's replication group.</summary>
    public static JsonObject RedisAlert(string az, bool firing = true, DateTimeOffset? startsAt = null, string fingerprint = "e1e2e3e4") =>
        Alert("DrSentinelRedisPrimaryInImpairedAz", az, firing, fingerprint: fingerprint, startsAt: startsAt ?? DateTimeOffset.UtcNow,
            labels: [("replication_group", "pyairtable-redis"), ("cache_cluster", "pyairtable-redis-001")]);

    public static JsonObject Notification(params JsonObject[] alerts) => new()
    {
        ["receiver"] = "drsentinel",
        ["status"] = alerts.Any(a => (string?)a["status"] == "firing") ? "firing" : "resolved",
        ["alerts"] = new JsonArray([.. alerts]),
        ["groupLabels"] = new JsonObject { ["alertname"] = (string?)alerts.FirstOrDefault()?["labels"]?["alertname"] },
        ["commonLabels"] = new JsonObject(),
        ["commonAnnotations"] = new JsonObject(),
        ["externalURL"] = "http://alertmanager:9093",
        ["version"] = "4",
        ["groupKey"] = "{}:{alertname=\"DrSentinelAzUnavailable\"}",
        ["truncatedAlerts"] = 0,
    };

    public static Task<HttpResponseMessage> PostAsync(HttpClient http, string body, string? token = Token, string contentType = "application/json") =>
        PostAsync(http, Encoding.UTF8.GetBytes(body), token, contentType);

    /// <summary>A body as bytes, which need not be UTF-8.</summary>
    public static Task<HttpResponseMessage> PostAsync(HttpClient http, byte[] body, string? token = Token, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "alertmanager/webhook") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient http, JsonObject notification) => PostAsync(http, notification.ToJsonString());

    /// <summary>Three zones, one Auto Scaling group per zone for the "workers" node group (cluster-autoscaler's layout).</summary>
    public static Topology PerZoneTopology(int perZone = 3, int maxPerZone = 6) => Topology.Default() with
    {
        NodeGroups =
        [
            new NodeGroupSpec
            {
                Name = "workers", InstanceTypes = ["m5.large"], MinSize = 3, MaxSize = 3 * maxPerZone, DesiredSize = 3 * perZone,
                Subnets = [.. Topology.Default().Subnets.Select(s => s.Id)], AutoScalingGroupPerAz = true,
            },
        ],
    };

    /// <summary>One Auto Scaling group across the three zones.</summary>
    public static Topology SpanningTopology(int perZone = 3, int max = 18) => Topology.Default() with
    {
        NodeGroups =
        [
            new NodeGroupSpec
            {
                Name = "workers", InstanceTypes = ["m5.large"], MinSize = 3, MaxSize = max, DesiredSize = 3 * perZone,
                Subnets = [.. Topology.Default().Subnets.Select(s => s.Id)],
            },
        ],
    };

    /// <summary>What a playbook changes, as one comparable value (the sandbox region's ChangeableByPlaybooks).</summary>
    public static string ChangeableState(SandboxServer sandbox) => sandbox.State(r => r.ChangeableByPlaybooks());

    public static long Calls(this SandboxServer sandbox, string key) => sandbox.State(r => r.ApiCalls.GetValueOrDefault(key));
}
