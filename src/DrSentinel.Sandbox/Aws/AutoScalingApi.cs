using System.Xml;
using DrSentinel.Sandbox.Region;

namespace DrSentinel.Sandbox.Aws;

/// <summary>Amazon EC2 Auto Scaling, API version 2011-01-01.</summary>
public static class AutoScalingApi
{
    public static readonly QueryService Service = new("autoscaling", "2011-01-01", "http://autoscaling.amazonaws.com/doc/2011-01-01/",
        new Dictionary<string, Operation>(StringComparer.Ordinal)
        {
            ["DescribeAutoScalingGroups"] = new(DescribeGroups),
            ["DescribeScalingActivities"] = new(DescribeActivities),
            ["SetDesiredCapacity"] = new((p, r, _) => r.SetDesiredCapacity(p.Required("AutoScalingGroupName"), p.RequiredInt("DesiredCapacity")), HasResult: false),
            ["UpdateAutoScalingGroup"] = new((p, r, _) => r.UpdateScalingGroup(p.Required("AutoScalingGroupName"),
                p.OptionalInt("MinSize"), p.OptionalInt("MaxSize"), p.OptionalInt("DesiredCapacity"), p.Optional("VPCZoneIdentifier")), HasResult: false),
            ["CreateOrUpdateTags"] = new((p, r, _) => r.SetTags(Tags(p).Select(t =>
                (t.Group, t.Tag.Required("Key"), t.Tag.Optional("Value") ?? "", t.Tag.OptionalBool("PropagateAtLaunch") ?? false))), HasResult: false),
            ["DescribeTags"] = new(DescribeTags),
            ["DeleteTags"] = new((p, r, _) => r.DeleteTags(Tags(p).Select(t => (t.Group, t.Tag.Required("Key")))), HasResult: false),
            ["SuspendProcesses"] = new((p, r, _) => r.SuspendProcesses(p.Required("AutoScalingGroupName"), p.List("ScalingProcesses")), HasResult: false),
            ["ResumeProcesses"] = new((p, r, _) => r.ResumeProcesses(p.Required("AutoScalingGroupName"), p.List("ScalingProcesses")), HasResult: false),
        }) { Errors = ModeledErrors.AutoScaling };

    private static IEnumerable<(string Group, QueryParameters Tag)> Tags(QueryParameters p)
    {
        var tags = p.Structures("Tags");
        if (tags.Count == 0) throw AwsFaultException.MissingParameter("Tags");
        foreach (var tag in tags)
        {
            var type = tag.Optional("ResourceType") ?? "auto-scaling-group";
            if (type != "auto-scaling-group") throw AwsFaultException.Validation($"Invalid resource type: {type}");
            yield return (tag.Required("ResourceId"), tag);
        }
    }

    private static int PageSize(QueryParameters p, int fallback)
    {
        var size = p.OptionalInt("MaxRecords") ?? fallback;
        if (size is < 1 or > 100) throw AwsFaultException.Validation($"MaxRecords must be between 1 and 100, not {size}.");
        return size;
    }

    private static void DescribeGroups(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var names = p.List("AutoScalingGroupNames");
        var filters = p.Structures("Filters").Select(f => (Name: f.Required("Name"), Values: f.List("Values"))).ToList();
        var unknown = filters.FirstOrDefault(f => f.Name is not ("tag-key" or "tag-value") && !f.Name.StartsWith("tag:", StringComparison.Ordinal));
        if (unknown.Name is not null) throw AwsFaultException.Validation($"Filter name '{unknown.Name}' is invalid.");
        var matches = r.ScalingGroups.Values
            .Where(g => names.Count == 0 || names.Contains(g.Name))
            .Where(g => filters.All(f => f.Name switch
            {
                "tag-key" => g.Tags.Keys.Any(f.Values.Contains),
                "tag-value" => g.Tags.Values.Any(t => f.Values.Contains(t.Value)),
                _ => g.Tags.TryGetValue(f.Name[4..], out var tag) && f.Values.Contains(tag.Value),
            }))
            .OrderBy(g => g.Name, StringComparer.Ordinal).ToList();
        var (page, next) = QueryParameters.Paginate(matches, p.Optional("NextToken"), PageSize(p, 50));
        w.List("AutoScalingGroups", "member", page, (x, g) => WriteGroup(x, r, g));
        w.Element("NextToken", next);
    }

    private static void WriteGroup(XmlWriter w, SandboxRegion r, ScalingGroup g)
    {
        w.Element("AutoScalingGroupName", g.Name);
        w.Element("AutoScalingGroupARN", g.Arn);
        w.Element("MinSize", g.MinSize);
        w.Element("MaxSize", g.MaxSize);
        w.Element("DesiredCapacity", g.DesiredCapacity);
        w.Element("DefaultCooldown", 300);
        w.StringList("AvailabilityZones", "member", r.GroupZones(g));
        w.StringList("LoadBalancerNames", "member", []);
        w.StringList("TargetGroupARNs", "member", []);
        w.Element("HealthCheckType", "EC2");
        w.Element("HealthCheckGracePeriod", 15);
        w.List("Instances", "member", r.Instances.Values.Where(i => i.GroupName == g.Name && i.Lifecycle != InstanceLifecycle.Terminated)
            .OrderBy(i => i.Id, StringComparer.Ordinal), (x, i) =>
        {
            x.Element("InstanceId", i.Id);
            x.Element("InstanceType", i.InstanceType);
            x.Element("AvailabilityZone", i.AvailabilityZone);
            x.Element("LifecycleState", i.Lifecycle.ToString());
            x.Element("HealthStatus", i.Healthy ? "Healthy" : "Unhealthy");
            x.Element("ProtectedFromScaleIn", false);
        });
        w.Element("CreatedTime", g.CreatedTime);
        w.List("SuspendedProcesses", "member", g.SuspendedProcesses.OrderBy(s => s.Key, StringComparer.Ordinal), (x, s) =>
        {
            x.Element("ProcessName", s.Key);
            x.Element("SuspensionReason", s.Value);
        });
        w.Element("VPCZoneIdentifier", string.Join(',', g.SubnetIds));
        w.StringList("EnabledMetrics", "member", []);
        w.List("Tags", "member", g.Tags.OrderBy(t => t.Key, StringComparer.Ordinal), (x, t) =>
        {
            x.Element("ResourceId", g.Name);
            x.Element("ResourceType", "auto-scaling-group");
            x.Element("Key", t.Key);
            x.Element("Value", t.Value.Value);
            x.Element("PropagateAtLaunch", t.Value.PropagateAtLaunch);
        });
        w.StringList("TerminationPolicies", "member", ["AllocationStrategy", "OldestLaunchTemplate", "OldestInstance"]);
        w.Element("NewInstancesProtectedFromScaleIn", false);
        w.Element("ServiceLinkedRoleARN", $"arn:aws:iam::{r.Topology.AccountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling");
        w.Element("CapacityRebalance", true);
    }

    /// <summary>Every group's tags, filtered by auto-scaling-group, key, value and propagate-at-launch (all filters must match, any value of one).</summary>
    private static void DescribeTags(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var filters = p.Structures("Filters").Select(f => (Name: f.Required("Name"), Values: f.List("Values"))).ToList();
        var unknown = filters.FirstOrDefault(f => f.Name is not ("auto-scaling-group" or "key" or "value" or "propagate-at-launch"));
        if (unknown.Name is not null) throw AwsFaultException.Validation($"Filter name '{unknown.Name}' is invalid.");
        var tags = r.ScalingGroups.Values.SelectMany(g => g.Tags.Select(t => (Group: g.Name, t.Key, t.Value.Value, t.Value.PropagateAtLaunch)))
            .Where(t => filters.All(f => f.Name switch
            {
                "auto-scaling-group" => f.Values.Contains(t.Group),
                "key" => f.Values.Contains(t.Key),
                "value" => f.Values.Contains(t.Value),
                _ => f.Values.Contains(t.PropagateAtLaunch ? "true" : "false"),
            }))
            .OrderBy(t => t.Group, StringComparer.Ordinal).ThenBy(t => t.Key, StringComparer.Ordinal).ToList();
        var (page, next) = QueryParameters.Paginate(tags, p.Optional("NextToken"), PageSize(p, 50));
        w.List("Tags", "member", page, (x, t) =>
        {
            x.Element("ResourceId", t.Group);
            x.Element("ResourceType", "auto-scaling-group");
            x.Element("Key", t.Key);
            x.Element("Value", t.Value);
            x.Element("PropagateAtLaunch", t.PropagateAtLaunch);
        });
        w.Element("NextToken", next);
    }

    private static void DescribeActivities(QueryParameters p, SandboxRegion r, XmlWriter w)
    {
        var groupName = p.Optional("AutoScalingGroupName");
        var ids = p.List("ActivityIds");
        if (groupName is not null) r.RequireGroup(groupName);
        var matches = r.ScalingGroups.Values.Where(g => groupName is null || g.Name == groupName)
            .SelectMany(g => g.Activities)
            .Where(a => ids.Count == 0 || ids.Contains(a.ActivityId))
            .OrderByDescending(a => a.StartTime).ThenBy(a => a.ActivityId, StringComparer.Ordinal).ToList();
        var (page, next) = QueryParameters.Paginate(matches, p.Optional("NextToken"), PageSize(p, 100));
        w.List("Activities", "member", page, (x, a) =>
        {
            x.Element("ActivityId", a.ActivityId);
            x.Element("AutoScalingGroupName", a.GroupName);
            x.Element("Description", a.Description);
            x.Element("Cause", a.Cause);
            x.Element("StartTime", a.StartTime);
            if (a.EndTime is { } end) x.Element("EndTime", end);
            x.Element("StatusCode", a.StatusCode);
            if (a.StatusMessage is not null) x.Element("StatusMessage", a.StatusMessage);
            x.Element("Progress", a.Progress);
            x.Element("Details", $"{{\"Subnet ID\":\"{a.SubnetId}\",\"Availability Zone\":\"{a.AvailabilityZone}\"}}");
        });
        w.Element("NextToken", next);
    }
}
