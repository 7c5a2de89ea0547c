using System.Text.RegularExpressions;
using DrSentinel.Actions;
using DrSentinel.Clients.Aws;
using DrSentinel.Clients.Aws.Iam;
using DrSentinel.Inventory;
using DrSentinel.Planning;
using Microsoft.Extensions.Options;

namespace DrSentinel.Readiness;

/// <summary>
/// What DrSentinel's AWS identity may do, asked of IAM itself (read-only): STS GetCallerIdentity names the caller (an
/// assumed role's session stands for its role), and iam:SimulatePrincipalPolicy judges every read, and every mutating
/// call of <see cref="AwsCalls"/> on each allowed resource that carries drsentinel.io/allowed=true, with its tags as the
/// request's condition keys (an untagged one is the *-allow-tag checks'). One simulation per resource.
/// </summary>
public sealed partial class AwsPermissions(IIamReader iam, InventoryStore store, IOptions<ActionOptions> actions, IOptions<InventoryOptions> inventory)
{
    public const string Check = "aws-permissions";

    private static readonly string[] LedgerTagKeys = [LedgerKeys.EvacuatedZone, LedgerKeys.Original, LedgerKeys.Applied, LedgerKeys.FailedOver, LedgerKeys.PromotedFrom];

    /// <summary>One simulation: the actions, the resource, and the condition keys the request would carry.</summary>
    private sealed record Question(string What, IReadOnlyList<string> Actions, string Resource, IReadOnlyList<SimulationContext> Context);

    public async Task<ReadinessCheck> AssessAsync(CancellationToken cancel)
    {
        string principal;
        try
        {
            principal = Principal(await iam.CallerArnAsync(cancel).ConfigureAwait(false));
        }
        catch (Exception e) when (e is AwsServiceException or FormatException)
        {
            return new(Check, ReadinessVerdict.CouldNotCheck, $"STS GetCallerIdentity failed ({(e as AwsServiceException)?.Code ?? e.GetType().Name}: {e.Message})", "see the log: DrSentinel cannot reach AWS", []);
        }
        var problems = new List<string>();
        var evidence = new List<string> { $"as {principal}" };
        foreach (var question in Questions())
        {
            IReadOnlyList<SimulationResult> results;
            try
            {
                results = await iam.SimulateAsync(principal, question.Actions, [question.Resource], question.Context, cancel).ConfigureAwait(false);
            }
            catch (AwsServiceException e) when (e.Code is "AccessDenied" or "AccessDeniedException")
            {
                return new(Check, ReadinessVerdict.CouldNotCheck, $"no permission to simulate the policies of {principal} ({e.Code}): what AWS would refuse cannot be told",
                    "grant iam:SimulatePrincipalPolicy, as docs/iam-policy.json does", [.. evidence]);
            }
            catch (AwsServiceException e)
            {
                return new(Check, ReadinessVerdict.CouldNotCheck, $"iam:SimulatePrincipalPolicy failed ({e.Code}: {e.Message})", "see the log", [.. evidence]);
            }
            catch (FormatException e)
            {
                return new(Check, ReadinessVerdict.CouldNotCheck, $"IAM's answer could not be read ({e.Message})", "see the log", [.. evidence]);
            }
            var denied = results.Where(r => !r.Allowed).ToList();
            evidence.Add($"{question.What}: {results.Count - denied.Count} of {results.Count} allowed");
            problems.AddRange(denied.Select(r => $"may not {r.Action} on {question.What} ({r.Decision})"));
        }
        return ReadinessCheck.From(Check, problems, evidence, $"{principal} may make every call DrSentinel makes, on every allowed resource",
            "grant what docs/iam-policy.json grants (the chart's serviceAccount.roleArn names the role)");
    }

    /// <summary>The reads on "*", then each allowed and opted-in resource with the mutating calls on its kind.</summary>
    private IEnumerable<Question> Questions()
    {
        var (snapshot, policy) = (store.Current, actions.Value.Policy());
        yield return new("every read", [.. AwsCalls.All.Where(c => !c.Mutating).Select(c => c.Action).Distinct()], "*", []);
        SimulationContext[] ledger = [new("aws:TagKeys", "stringList", LedgerTagKeys)];
        foreach (var group in snapshot.ScalingGroups.Where(g => policy.Allows(Playbooks.Capacity.EvacuationPlanner.Ref(g)) && LedgerKeys.OptedIn(g.Tags) && g.Arn is not null))
            yield return new($"Auto Scaling group {group.Name}", ActionsOn(AwsTarget.AutoScalingGroup), group.Arn!,
                [.. Tags(group.Tags, "autoscaling:ResourceTag/", "aws:ResourceTag/"), .. ledger]);
        foreach (var db in snapshot.DbInstances.Where(d => (policy.AllowedDatabases.Contains(d.Id) || policy.PromotableReplicas.Contains(d.Id))
                                                            && d.ClusterId is null && LedgerKeys.OptedIn(d.Tags) && d.Arn is not null))
            yield return new($"DB instance {db.Id}", ActionsOn(AwsTarget.DbInstance), db.Arn!, [.. Tags(db.Tags, "rds:db-tag/", "aws:ResourceTag/"), .. ledger]);
        foreach (var group in snapshot.ReplicationGroups.Where(g => policy.AllowedDatabases.Contains(g.Id) && LedgerKeys.OptedIn(g.Tags) && g.Arn is not null))
            yield return new($"replication group {group.Id}", ActionsOn(AwsTarget.ReplicationGroup), group.Arn!, [.. Tags(group.Tags, "aws:ResourceTag/"), .. ledger]);
        if (policy.ShiftTrafficAway)
            foreach (var arn in inventory.Value.ZonalShiftResources)
                yield return new($"zonal-shift resource {arn}", ActionsOn(AwsTarget.ZonalShiftResource), "*", [new("arc-zonal-shift:ResourceIdentifier", "string", [arn])]);
    }

    private static string[] ActionsOn(AwsTarget target) => [.. AwsCalls.All.Where(c => c.Target == target).Select(c => c.Action).Distinct()];

    /// <summary>The resource's drsentinel.io/allowed tag under each condition key prefix AWS gives it.</summary>
    private static IEnumerable<SimulationContext> Tags(System.Collections.Immutable.ImmutableDictionary<string, string> tags, params string[] prefixes) =>
        prefixes.Select(prefix => new SimulationContext(prefix + LedgerKeys.Allowed, "string", [tags[LedgerKeys.Allowed]]));

    /// <summary>An assumed role's session (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION) stands for the role itself.</summary>
    internal static string Principal(string callerArn) =>
        AssumedRole().Match(callerArn) is { Success: true } m ? $"arn:{m.Groups["partition"].Value}:iam::{m.Groups["account"].Value}:role/{m.Groups["role"].Value}" : callerArn;

    [GeneratedRegex(@"^arn:(?<partition>[\w-]+):sts::(?<account>\d{12}):assumed-role/(?<role>[^/]+)/.+$")]
    private static partial Regex AssumedRole();
}
