using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DrSentinel.Clients.Aws;
using DrSentinel.IntegrationTests.Infrastructure;

namespace DrSentinel.IntegrationTests.Aws;

/// <summary>
/// docs/iam-policy.json against the code, judged by an IAM evaluator written apart from DrSentinel
/// (@cloud-copilot/iam-simulate, .tools/bin/iam-check): every call the clients can send is in <see cref="AwsCalls"/>,
/// every action of the policy is one of them, and each is allowed exactly where DrSentinel's guardrails say.
/// </summary>
public sealed partial class IamPolicyTests
{
    private const string Account = "123456789012";
    private const string Allowed = "drsentinel.io/allowed";
    private static readonly string PolicyPath = Path.Combine(RepoPaths.Root, "docs", "iam-policy.json");
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly string[] LedgerTag = ["drsentinel.io/failed-over"];
    private static readonly string[] SomeoneElsesTag = ["team"];
    private static readonly string[] AllowListTag = [Allowed];
    private static readonly string[] TeamAndLedgerTags = ["team", "drsentinel.io/x"];

    [GeneratedRegex(@"QueryApi Api = new\(""([a-z0-9-]+)""|SigningName = ""([a-z0-9-]+)"";")]
    private static partial Regex ServiceOfClient();

    [GeneratedRegex(@"(?:SendAsync|PagesAsync)\(Api, ""(\w+)""|SendJsonAsync\(SigningName, ""(\w+)""")]
    private static partial Regex OperationSent();

    [Fact]
    public void EveryOperationTheClientsSend_IsInTheListOfAwsCalls()
    {
        var sent = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src", "DrSentinel", "Clients", "Aws"), "*.cs", SearchOption.AllDirectories))
        {
            var code = File.ReadAllText(file);
            var operations = OperationSent().Matches(code).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToList();
            if (operations.Count == 0) continue;
            var service = ServiceOfClient().Match(code);
            Assert.True(service.Success, $"{file} sends {string.Join(", ", operations)} but names no service (QueryApi Api or SigningName)");
            var prefix = service.Groups[1].Success ? service.Groups[1].Value : service.Groups[2].Value;
            foreach (var operation in operations) sent.Add($"{prefix}:{operation}");
        }

        var listed = AwsCalls.All.Select(c => c.Action).ToHashSet(StringComparer.Ordinal);
        Assert.True(sent.SetEquals(listed), $"sent but not in AwsCalls: {string.Join(", ", sent.Except(listed))}; in AwsCalls but never sent: {string.Join(", ", listed.Except(sent))}");
    }

    [Fact]
    public void EveryActionOfThePolicy_IsOneTheCodeCalls_AndEveryCallHasOne()
    {
        var policy = JsonNode.Parse(File.ReadAllText(PolicyPath))!;
        var granted = policy["Statement"]!.AsArray()
            .SelectMany(s => s!["Action"] is JsonArray many ? many.Select(a => a!.GetValue<string>()) : [s["Action"]!.GetValue<string>()])
            .ToHashSet(StringComparer.Ordinal);

        var called = AwsCalls.All.Select(c => c.Action).ToHashSet(StringComparer.Ordinal);
        Assert.True(granted.SetEquals(called), $"in the policy but never called: {string.Join(", ", granted.Except(called))}; called but not in the policy: {string.Join(", ", called.Except(granted))}");
    }

    [Fact]
    public async Task EachCall_AllowedOnlyWhereTheGuardrailsSay_ByAnIndependentEvaluator()
    {
        var questions = new List<(AwsCall Call, string Case, string Expected, JsonObject Question)>();
        foreach (var call in AwsCalls.All)
        {
            if (!call.Mutating)
            {
                questions.Add((call, "a read", "Allowed", Question(call.Action, "*", [])));
                continue;
            }
            if (call.Target == AwsTarget.ZonalShiftResource)
            {
                questions.Add((call, "the cluster", "Allowed", Question(call.Action, "*", [("arc-zonal-shift:ResourceIdentifier", $"arn:aws:eks:eu-central-1:{Account}:cluster/pyairtable")])));
                questions.Add((call, "its ingress load balancer", "Allowed", Question(call.Action, "*",
                    [("arc-zonal-shift:ResourceIdentifier", $"arn:aws:elasticloadbalancing:eu-central-1:{Account}:loadbalancer/net/pyairtable-ingress/0f1e2d3c4b5a6978")])));
                questions.Add((call, "another cluster", "ImplicitlyDenied", Question(call.Action, "*", [("arc-zonal-shift:ResourceIdentifier", $"arn:aws:eks:eu-central-1:{Account}:cluster/payments")])));
                continue;
            }
            var (arn, tagKeys) = Resource(call.Target);
            var writesTags = call.Action.EndsWith("Tags", StringComparison.Ordinal) || call.Action.EndsWith("TagsToResource", StringComparison.Ordinal)
                || call.Action.EndsWith("TagsFromResource", StringComparison.Ordinal);
            (string, object)[] ledger = writesTags ? [("aws:TagKeys", LedgerTag)] : [];
            questions.Add((call, "tagged", "Allowed", Question(call.Action, arn, [.. tagKeys.Select(k => (k, (object)"true")), .. ledger])));
            questions.Add((call, "not tagged", "ImplicitlyDenied", Question(call.Action, arn, ledger)));
            questions.Add((call, "tagged false", "ImplicitlyDenied", Question(call.Action, arn, [.. tagKeys.Select(k => (k, (object)"false")), .. ledger])));
            if (writesTags)
            {
                questions.Add((call, "tagged, writing another tag", "ImplicitlyDenied",
                    Question(call.Action, arn, [.. tagKeys.Select(k => (k, (object)"true")), ("aws:TagKeys", SomeoneElsesTag)])));
                questions.Add((call, "tagged, rewriting the allow-list tag itself", "ImplicitlyDenied",
                    Question(call.Action, arn, [.. tagKeys.Select(k => (k, (object)"true")), ("aws:TagKeys", AllowListTag)])));
            }
        }
        var policy = JsonNode.Parse((await File.ReadAllTextAsync(PolicyPath)).Replace("CLUSTER_NAME", "pyairtable", StringComparison.Ordinal))!;
        var input = new JsonObject { ["policy"] = policy, ["questions"] = new JsonArray([.. questions.Select(q => (JsonNode)q.Question)]) };

        var result = await ExternalProcess.RunAsync(RepoPaths.IamCheck, [], Deadline, input: input.ToJsonString());

        Assert.True(result.ExitCode == 0, result.ToString());
        var answers = JsonSerializer.Deserialize<JsonElement>(result.Output).EnumerateArray().Select(a => a.GetProperty("result").GetString()!).ToList();
        Assert.Equal(questions.Count, answers.Count);
        var wrong = questions.Zip(answers).Where(x => x.First.Expected != x.Second)
            .Select(x => $"{x.First.Call.Action} on {x.First.Call.Target} ({x.First.Case}): {x.Second}, expected {x.First.Expected}").ToList();
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
        // The sandbox's evaluator (what its IAM SimulatePrincipalPolicy answers) says the same on the same questions.
        var sandbox = SandboxAnswers(policy, questions.Select(q => q.Question));
        var differ = questions.Zip(answers, sandbox).Where(x => x.Second != x.Third)
            .Select(x => $"{x.First.Call.Action} on {x.First.Call.Target} ({x.First.Case}): iam-simulate {x.Second}, the sandbox {x.Third}").ToList();
        Assert.True(differ.Count == 0, string.Join('\n', differ));
    }

    /// <summary>
    /// Policies beyond DrSentinel's own, for the parts of the evaluator docs/iam-policy.json does not reach (a Deny,
    /// NotAction, NotResource, IfExists, ForAnyValue, negated operators with the key missing): both evaluators, the same
    /// questions, the same answers.
    /// </summary>
    [Fact]
    public async Task SandboxEvaluator_AnswersAsIamSimulate_OnDenyNotActionAndConditionEdges()
    {
        var policy = JsonNode.Parse("""
            {"Version": "2012-10-17", "Statement": [
              {"Sid": "All", "Effect": "Allow", "Action": "rds:*", "Resource": "*"},
              {"Sid": "NoReboot", "Effect": "Deny", "Action": "rds:RebootDBInstance", "Resource": "arn:aws:rds:*:*:db:prod-*"},
              {"Sid": "NotDescribe", "Effect": "Allow", "NotAction": ["elasticache:Describe*"], "Resource": "arn:aws:elasticache:*:*:replicationgroup:*",
               "Condition": {"StringEqualsIfExists": {"aws:ResourceTag/team": "db"}}},
              {"Sid": "AnyTag", "Effect": "Allow", "Action": "autoscaling:CreateOrUpdateTags", "Resource": "*",
               "Condition": {"ForAnyValue:StringLike": {"aws:TagKeys": ["drsentinel.io/*"]}}},
              {"Sid": "NotOther", "Effect": "Allow", "Action": "autoscaling:DeleteTags", "NotResource": "arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/other",
               "Condition": {"StringNotEquals": {"aws:ResourceTag/locked": "true"}}}
            ]}
            """)!;
        const string Db = "arn:aws:rds:eu-central-1:123456789012:db:";
        const string Group = "arn:aws:elasticache:eu-central-1:123456789012:replicationgroup:cache";
        const string Asg = "arn:aws:autoscaling:eu-central-1:123456789012:autoScalingGroup:6d5f1c2a-0b1e-4f43-9a55-1b2c3d4e5f60:autoScalingGroupName/";
        JsonObject[] questions =
        [
            Question("rds:RebootDBInstance", Db + "staging-1", []),
            Question("rds:RebootDBInstance", Db + "prod-1", []),
            Question("rds:DescribeDBInstances", Db + "prod-1", []),
            Question("elasticache:TestFailover", Group, []),
            Question("elasticache:TestFailover", Group, [("aws:ResourceTag/team", "db")]),
            Question("elasticache:TestFailover", Group, [("aws:ResourceTag/team", "web")]),
            Question("elasticache:DescribeReplicationGroups", Group, []),
            Question("autoscaling:CreateOrUpdateTags", Asg + "a", [("aws:TagKeys", TeamAndLedgerTags)]),
            Question("autoscaling:CreateOrUpdateTags", Asg + "a", [("aws:TagKeys", SomeoneElsesTag)]),
            Question("autoscaling:CreateOrUpdateTags", Asg + "a", []),
            Question("autoscaling:DeleteTags", Asg + "a", []),
            Question("autoscaling:DeleteTags", Asg + "a", [("aws:ResourceTag/locked", "true")]),
            Question("autoscaling:DeleteTags", Asg + "other", []),
        ];
        var input = new JsonObject { ["policy"] = policy.DeepClone(), ["questions"] = new JsonArray([.. questions.Select(q => (JsonNode)q.DeepClone())]) };

        var result = await ExternalProcess.RunAsync(RepoPaths.IamCheck, [], Deadline, input: input.ToJsonString());

        Assert.True(result.ExitCode == 0, result.ToString());
        var independent = JsonSerializer.Deserialize<JsonElement>(result.Output).EnumerateArray().Select(a => a.GetProperty("result").GetString()!).ToList();
        Assert.Equal(["Allowed", "ExplicitlyDenied", "Allowed", "Allowed", "Allowed", "ImplicitlyDenied", "ImplicitlyDenied", "Allowed", "ImplicitlyDenied",
            "ImplicitlyDenied", "Allowed", "ImplicitlyDenied", "ImplicitlyDenied"], independent);
        Assert.Equal(independent, SandboxAnswers(policy, questions));
    }

    /// <summary>The sandbox evaluator's decisions, in iam-simulate's words.</summary>
    private static List<string> SandboxAnswers(JsonNode policy, IEnumerable<JsonObject> questions)
    {
        using var document = JsonDocument.Parse(policy.ToJsonString());
        return [.. questions.Select(q =>
        {
            var context = q["context"]!.AsObject().ToDictionary(c => c.Key,
                c => c.Value is JsonArray many ? (IReadOnlyList<string>)[.. many.Select(v => v!.GetValue<string>())] : [c.Value!.GetValue<string>()]);
            return DrSentinel.Sandbox.Aws.IamPolicyEvaluator.Evaluate(document.RootElement, q["action"]!.GetValue<string>(), q["resource"]!.GetValue<string>(), context).Decision switch
            {
                DrSentinel.Sandbox.Aws.IamPolicyEvaluator.Allowed => "Allowed",
                DrSentinel.Sandbox.Aws.IamPolicyEvaluator.ExplicitDeny => "ExplicitlyDenied",
                _ => "ImplicitlyDenied",
            };
        })];
    }

    /// <summary>An example resource of the kind, and the condition keys under which AWS gives the request its tags.</summary>
    private static (string Arn, string[] TagKeys) Resource(AwsTarget target) => target switch
    {
        AwsTarget.AutoScalingGroup => ($"arn:aws:autoscaling:eu-central-1:{Account}:autoScalingGroup:6d5f1c2a-0b1e-4f43-9a55-1b2c3d4e5f60:autoScalingGroupName/pyairtable-workers",
            [$"autoscaling:ResourceTag/{Allowed}", $"aws:ResourceTag/{Allowed}"]),
        AwsTarget.DbInstance => ($"arn:aws:rds:eu-central-1:{Account}:db:pyairtable-primary", [$"rds:db-tag/{Allowed}", $"aws:ResourceTag/{Allowed}"]),
        AwsTarget.DbCluster => ($"arn:aws:rds:eu-central-1:{Account}:cluster:pyairtable-aurora", [$"rds:cluster-tag/{Allowed}", $"aws:ResourceTag/{Allowed}"]),
        AwsTarget.ReplicationGroup => ($"arn:aws:elasticache:eu-central-1:{Account}:replicationgroup:pyairtable-redis", [$"aws:ResourceTag/{Allowed}"]),
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "not a tagged resource"),
    };

    private static JsonObject Question(string action, string resource, IEnumerable<(string Key, object Value)> context) => new()
    {
        ["action"] = action,
        ["resource"] = resource,
        ["context"] = new JsonObject(context.Select(c => KeyValuePair.Create(c.Key,
            c.Value is string[] many ? (JsonNode?)new JsonArray([.. many.Select(v => (JsonNode)v)]) : JsonValue.Create((string)c.Value)))),
    };
}
