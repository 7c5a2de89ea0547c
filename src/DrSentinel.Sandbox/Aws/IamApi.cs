using System.Text.Json;
using System.Xml;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox.Aws;

/// <summary>
/// AWS IAM, API version 2010-05-08, global (signed for us-east-1): SimulatePrincipalPolicy, judged by
/// <see cref="IamPolicyEvaluator"/> on the one identity policy the sandbox's callers have (docs/iam-policy.json unless a
/// test sets another, <c>PUT /sandbox/iam/policy</c>). The policy is not enforced on the other services' calls.
/// </summary>
public static class IamApi
{
    public const string SigningRegion = "us-east-1";

    public static QueryService Service(CredentialStore credentials) => new("iam", "2010-05-08", "https://iam.amazonaws.com/doc/2010-05-08/",
        new Dictionary<string, Operation>(StringComparer.Ordinal)
        {
            ["SimulatePrincipalPolicy"] = new((p, r, w) => SimulatePrincipalPolicy(p, r, w, credentials)),
        }) { Errors = ModeledErrors.Iam };

    private static void SimulatePrincipalPolicy(QueryParameters p, SandboxRegion region, XmlWriter w, CredentialStore credentials)
    {
        var source = p.Required("PolicySourceArn");
        var account = region.Topology.AccountId;
        if (!source.StartsWith($"arn:aws:iam::{account}:", StringComparison.Ordinal) || !(source.Contains(":role/", StringComparison.Ordinal) || source.Contains(":user/", StringComparison.Ordinal)))
            throw new AwsFaultException("NoSuchEntity", $"The entity {source} cannot be found.", 404);
        var actions = p.List("ActionNames");
        if (actions.Count == 0) throw AwsFaultException.MissingParameter("ActionNames");
        var resources = p.List("ResourceArns") is { Count: > 0 } given ? given : ["*"];
        var context = p.Structures("ContextEntries").ToDictionary(e => e.Required("ContextKeyName"), e => e.List("ContextKeyValues"), StringComparer.OrdinalIgnoreCase);
        using var policy = JsonDocument.Parse(region.IamPolicy);
        // The caller needs the permission to simulate, judged by the same policy.
        if (IamPolicyEvaluator.Evaluate(policy.RootElement, "iam:SimulatePrincipalPolicy", source, new Dictionary<string, IReadOnlyList<string>>()).Decision != IamPolicyEvaluator.Allowed)
        {
            var caller = (p.Caller is { } key ? credentials.Find(key)?.Arn : null) ?? $"arn:aws:iam::{account}:user/drsentinel-sandbox";
            throw new AwsFaultException("AccessDenied", $"User: {caller} is not authorized to perform: iam:SimulatePrincipalPolicy on resource: {source}", 403);
        }
        w.WriteStartElement("EvaluationResults");
        foreach (var action in actions)
            foreach (var resource in resources)
            {
                var (decision, matched) = IamPolicyEvaluator.Evaluate(policy.RootElement, action, resource, context);
                w.WriteStartElement("member");
                w.Element("EvalActionName", action);
                w.Element("EvalResourceName", resource);
                w.Element("EvalDecision", decision);
                w.WriteStartElement("MatchedStatements");
                foreach (var statement in matched)
                {
                    w.WriteStartElement("member");
                    w.Element("SourcePolicyId", statement);
                    w.Element("SourcePolicyType", "IAM Policy");
                    w.WriteEndElement();
                }
                w.WriteEndElement();
                w.WriteStartElement("MissingContextValues");
                w.WriteEndElement();
                w.WriteEndElement();
            }
        w.WriteEndElement();
        w.Element("IsTruncated", false);
    }

    /// <summary>docs/iam-policy.json, embedded, for the sandbox's cluster.</summary>
    public static string DefaultPolicy(string clusterName)
    {
        using var stream = typeof(IamApi).Assembly.GetManifestResourceStream("iam-policy.json")
            ?? throw new InvalidOperationException("docs/iam-policy.json is not embedded in the sandbox");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("CLUSTER_NAME", clusterName, StringComparison.Ordinal);
    }
}
