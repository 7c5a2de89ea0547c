using System.Globalization;
using System.Xml.Linq;

namespace DrSentinel.Clients.Aws.AutoScaling;

public sealed record ScalingInstance(string InstanceId, string? InstanceType, string AvailabilityZone, string LifecycleState, string HealthStatus);

public sealed record ScalingGroupTag(string Key, string Value, bool PropagateAtLaunch);

public sealed record ScalingGroupDescription(
    string Name, string? Arn, int MinSize, int MaxSize, int DesiredCapacity, IReadOnlyList<string> AvailabilityZones, string? VpcZoneIdentifier,
    IReadOnlyList<ScalingInstance> Instances, IReadOnlyList<string> SuspendedProcesses, IReadOnlyList<ScalingGroupTag> Tags);

public sealed record ScalingActivityDescription(string ActivityId, string GroupName, string Description, string Cause, string StatusCode, DateTimeOffset? StartTime, DateTimeOffset? EndTime)
{
    /// <summary>Why the activity is in its state, in AWS's words (e.g. EC2's InsufficientInstanceCapacity sentence); null when AWS gives none.</summary>
    public string? StatusMessage { get; init; }

    /// <summary>AWS's JSON details, e.g. <c>{"Subnet ID":"subnet-…","Availability Zone":"eu-central-1b"}</c>.</summary>
    public string? Details { get; init; }
}

/// <summary>A DescribeAutoScalingGroups filter: "tag-key", "tag-value" or "tag:&lt;key&gt;".</summary>
public sealed record ScalingGroupFilter(string Name, IReadOnlyList<string> Values);

/// <summary>What to change with UpdateAutoScalingGroup; null leaves a field as it is. Subnets are comma-separated.</summary>
public sealed record ScalingGroupBounds(int? MinSize = null, int? MaxSize = null, int? DesiredCapacity = null, string? VpcZoneIdentifier = null);

/// <summary>What DrSentinel reads from EC2 Auto Scaling (IAM: autoscaling:Describe*).</summary>
public interface IAutoScalingReader
{
    Task<IReadOnlyList<ScalingGroupDescription>> DescribeAutoScalingGroupsAsync(IReadOnlyList<string>? names, IReadOnlyList<ScalingGroupFilter>? filters, CancellationToken cancel);
    Task<IReadOnlyList<ScalingActivityDescription>> DescribeScalingActivitiesAsync(string? groupName, int maxRecords, CancellationToken cancel);
}

/// <summary>
/// What only the action engine may do to EC2 Auto Scaling (IAM: autoscaling:SetDesiredCapacity,
/// autoscaling:UpdateAutoScalingGroup, autoscaling:CreateOrUpdateTags, autoscaling:DeleteTags,
/// autoscaling:SuspendProcesses, autoscaling:ResumeProcesses).
/// </summary>
public interface IAutoScalingActions
{
    Task SetDesiredCapacityAsync(string groupName, int desiredCapacity, CancellationToken cancel);
    Task UpdateAutoScalingGroupAsync(string groupName, ScalingGroupBounds bounds, CancellationToken cancel);
    Task CreateOrUpdateTagsAsync(string groupName, IReadOnlyList<ScalingGroupTag> tags, CancellationToken cancel);
    Task DeleteTagsAsync(string groupName, IReadOnlyList<string> keys, CancellationToken cancel);
    Task SuspendProcessesAsync(string groupName, IReadOnlyList<string> processes, CancellationToken cancel);
    Task ResumeProcessesAsync(string groupName, IReadOnlyList<string> processes, CancellationToken cancel);
}

/// <summary>Amazon EC2 Auto Scaling (API 2011-01-01): the calls DrSentinel makes.</summary>
public interface IAutoScalingClient : IAutoScalingReader, IAutoScalingActions;

public sealed class AutoScalingClient(AwsQueryClient query) : IAutoScalingClient
{
    public static readonly QueryApi Api = new("autoscaling", "2011-01-01");

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<KeyValuePair<string, string>> Members(string prefix, IEnumerable<string> values) =>
        values.Select((v, i) => new KeyValuePair<string, string>($"{prefix}.member.{i + 1}", v));

    public async Task<IReadOnlyList<ScalingGroupDescription>> DescribeAutoScalingGroupsAsync(
        IReadOnlyList<string>? names, IReadOnlyList<ScalingGroupFilter>? filters, CancellationToken cancel)
    {
        List<KeyValuePair<string, string>> parameters = [.. Members("AutoScalingGroupNames", names ?? [])];
        foreach (var (filter, index) in (filters ?? []).Select((f, i) => (f, i + 1)))
        {
            parameters.Add(new($"Filters.member.{index}.Name", filter.Name));
            parameters.AddRange(Members($"Filters.member.{index}.Values", filter.Values));
        }
        parameters.Add(new("MaxRecords", "100"));
        return await query.PagesAsync(Api, "DescribeAutoScalingGroups", parameters, "AutoScalingGroups", Parse, cancel, "NextToken", "NextToken");
    }

    public Task SetDesiredCapacityAsync(string groupName, int desiredCapacity, CancellationToken cancel) =>
        query.SendAsync(Api, "SetDesiredCapacity",
            [new("AutoScalingGroupName", groupName), new("DesiredCapacity", Number(desiredCapacity)), new("HonorCooldown", "false")], idempotent: false, cancel);

    public Task UpdateAutoScalingGroupAsync(string groupName, ScalingGroupBounds bounds, CancellationToken cancel)
    {
        List<KeyValuePair<string, string>> parameters = [new("AutoScalingGroupName", groupName)];
        if (bounds.MinSize is { } min) parameters.Add(new("MinSize", Number(min)));
        if (bounds.MaxSize is { } max) parameters.Add(new("MaxSize", Number(max)));
        if (bounds.DesiredCapacity is { } desired) parameters.Add(new("DesiredCapacity", Number(desired)));
        if (bounds.VpcZoneIdentifier is { } subnets) parameters.Add(new("VPCZoneIdentifier", subnets));
        return query.SendAsync(Api, "UpdateAutoScalingGroup", parameters, idempotent: false, cancel);
    }

    public Task CreateOrUpdateTagsAsync(string groupName, IReadOnlyList<ScalingGroupTag> tags, CancellationToken cancel) =>
        query.SendAsync(Api, "CreateOrUpdateTags", tags.SelectMany((t, i) => new KeyValuePair<string, string>[]
        {
            new($"Tags.member.{i + 1}.ResourceId", groupName),
            new($"Tags.member.{i + 1}.ResourceType", "auto-scaling-group"),
            new($"Tags.member.{i + 1}.Key", t.Key),
            new($"Tags.member.{i + 1}.Value", t.Value),
            new($"Tags.member.{i + 1}.PropagateAtLaunch", t.PropagateAtLaunch ? "true" : "false"),
        }), idempotent: true, cancel);

    public Task DeleteTagsAsync(string groupName, IReadOnlyList<string> keys, CancellationToken cancel) =>
        query.SendAsync(Api, "DeleteTags", keys.SelectMany((k, i) => new KeyValuePair<string, string>[]
        {
            new($"Tags.member.{i + 1}.ResourceId", groupName),
            new($"Tags.member.{i + 1}.ResourceType", "auto-scaling-group"),
            new($"Tags.member.{i + 1}.Key", k),
        }), idempotent: true, cancel);

    public Task SuspendProcessesAsync(string groupName, IReadOnlyList<string> processes, CancellationToken cancel) =>
        query.SendAsync(Api, "SuspendProcesses", [new("AutoScalingGroupName", groupName), .. Members("ScalingProcesses", processes)], idempotent: true, cancel);

    public Task ResumeProcessesAsync(string groupName, IReadOnlyList<string> processes, CancellationToken cancel) =>
        query.SendAsync(Api, "ResumeProcesses", [new("AutoScalingGroupName", groupName), .. Members("ScalingProcesses", processes)], idempotent: true, cancel);

    public async Task<IReadOnlyList<ScalingActivityDescription>> DescribeScalingActivitiesAsync(string? groupName, int maxRecords, CancellationToken cancel)
    {
        List<KeyValuePair<string, string>> parameters = [new("MaxRecords", Number(Math.Clamp(maxRecords, 1, 100)))];
        if (groupName is not null) parameters.Add(new("AutoScalingGroupName", groupName));
        var result = await query.SendAsync(Api, "DescribeScalingActivities", parameters, idempotent: true, cancel);
        return result.Items("Activities").Select(a => new ScalingActivityDescription(
            a.RequiredText("ActivityId"), a.Text("AutoScalingGroupName") ?? "", a.Text("Description") ?? "", a.Text("Cause") ?? "",
            a.Text("StatusCode") ?? "", a.Time("StartTime"), a.Time("EndTime")) { StatusMessage = a.Text("StatusMessage"), Details = a.Text("Details") }).ToList();
    }

    private static ScalingGroupDescription Parse(XElement g) => new(
        g.RequiredText("AutoScalingGroupName"), g.Text("AutoScalingGroupARN"), g.Int("MinSize"), g.Int("MaxSize"), g.Int("DesiredCapacity"),
        g.Strings("AvailabilityZones"), g.Text("VPCZoneIdentifier"),
        g.Items("Instances").Select(i => new ScalingInstance(i.RequiredText("InstanceId"), i.Text("InstanceType"), i.Text("AvailabilityZone") ?? "",
            i.Text("LifecycleState") ?? "", i.Text("HealthStatus") ?? "")).ToList(),
        g.Items("SuspendedProcesses").Select(p => p.Text("ProcessName") ?? "").ToList(),
        g.Items("Tags").Select(t => new ScalingGroupTag(t.RequiredText("Key"), t.Text("Value") ?? "", t.Bool("PropagateAtLaunch"))).ToList());
}
