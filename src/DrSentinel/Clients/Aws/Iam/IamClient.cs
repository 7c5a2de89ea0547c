namespace DrSentinel.Clients.Aws.Iam;

/// <summary>A condition key and its values, as IAM's policy simulator takes them.</summary>
public sealed record SimulationContext(string Key, string Type, IReadOnlyList<string> Values);

/// <summary>IAM's verdict on one action on one resource: allowed, implicitDeny or explicitDeny.</summary>
public sealed record SimulationResult(string Action, string Resource, string Decision)
{
    public bool Allowed => Decision == "allowed";
}

/// <summary>Who DrSentinel is to AWS, and what its policies let it do; read-only.</summary>
public interface IIamReader
{
    /// <summary>STS GetCallerIdentity: the caller's ARN (a user, or an assumed role's session). No permission is needed.</summary>
    Task<string> CallerArnAsync(CancellationToken cancel);

    /// <summary>
    /// IAM SimulatePrincipalPolicy: the policies attached to <paramref name="principalArn"/> judged for each action on each
    /// resource, with <paramref name="context"/> as the request's condition keys. Needs iam:SimulatePrincipalPolicy.
    /// </summary>
    Task<IReadOnlyList<SimulationResult>> SimulateAsync(string principalArn, IReadOnlyList<string> actions, IReadOnlyList<string> resourceArns,
        IReadOnlyList<SimulationContext> context, CancellationToken cancel);
}

/// <summary>IAM over the Query protocol (global: iam.amazonaws.com, signed for us-east-1), and the caller from STS.</summary>
public sealed class IamClient(AwsQueryClient query, Sts.StsClient sts) : IIamReader
{
    public static readonly QueryApi Api = new("iam", "2010-05-08");

    public async Task<IReadOnlyList<SimulationResult>> SimulateAsync(string principalArn, IReadOnlyList<string> actions, IReadOnlyList<string> resourceArns,
        IReadOnlyList<SimulationContext> context, CancellationToken cancel)
    {
        List<KeyValuePair<string, string>> parameters = [new("PolicySourceArn", principalArn)];
        parameters.AddRange(actions.Select((a, i) => KeyValuePair.Create($"ActionNames.member.{i + 1}", a)));
        parameters.AddRange(resourceArns.Select((r, i) => KeyValuePair.Create($"ResourceArns.member.{i + 1}", r)));
        for (var i = 0; i < context.Count; i++)
        {
            parameters.Add(new($"ContextEntries.member.{i + 1}.ContextKeyName", context[i].Key));
            parameters.Add(new($"ContextEntries.member.{i + 1}.ContextKeyType", context[i].Type));
            parameters.AddRange(context[i].Values.Select((v, j) => KeyValuePair.Create($"ContextEntries.member.{i + 1}.ContextKeyValues.member.{j + 1}", v)));
        }
        var results = new List<SimulationResult>();
        string? marker = null;
        do
        {
            var answer = await query.SendAsync(Api, "SimulatePrincipalPolicy", marker is null ? parameters : [.. parameters, new("Marker", marker)], idempotent: true, cancel);
            foreach (var result in answer.Items("EvaluationResults"))
            {
                // With several resources, IAM answers per resource under ResourceSpecificResults; one resource: at the top.
                var perResource = result.Items("ResourceSpecificResults").ToList();
                if (perResource.Count == 0)
                    results.Add(new(result.RequiredText("EvalActionName"), result.Text("EvalResourceName") ?? "*", result.RequiredText("EvalDecision")));
                else
                    results.AddRange(perResource.Select(r => new SimulationResult(result.RequiredText("EvalActionName"), r.RequiredText("EvalResourceName"),
                        r.RequiredText("EvalResourceDecision"))));
            }
            marker = answer.Bool("IsTruncated") ? answer.Text("Marker") : null;
        }
        while (marker is not null);
        return results;
    }

    public Task<string> CallerArnAsync(CancellationToken cancel) => sts.CallerArnAsync(cancel);
}
