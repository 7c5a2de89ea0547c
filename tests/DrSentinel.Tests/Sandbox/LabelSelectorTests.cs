using DrSentinel.Sandbox.Kubernetes;

namespace DrSentinel.Tests.Sandbox;

public sealed class LabelSelectorTests
{
    private static readonly Dictionary<string, string> Labels = new()
    {
        ["topology.kubernetes.io/zone"] = "eu-central-1a",
        ["eks.amazonaws.com/nodegroup"] = "primary",
    };

    [Theory]
    [InlineData("", true)]
    [InlineData("topology.kubernetes.io/zone=eu-central-1a", true)]
    [InlineData("topology.kubernetes.io/zone==eu-central-1b", false)]
    [InlineData("topology.kubernetes.io/zone!=eu-central-1b", true)]
    [InlineData("eks.amazonaws.com/nodegroup", true)]
    [InlineData("!eks.amazonaws.com/nodegroup", false)]
    [InlineData("topology.kubernetes.io/zone in (eu-central-1b, eu-central-1a)", true)]
    [InlineData("topology.kubernetes.io/zone notin (eu-central-1a)", false)]
    [InlineData("eks.amazonaws.com/nodegroup=primary,topology.kubernetes.io/zone=eu-central-1c", false)]
    public void Matches_FollowsKubernetesSelectorSemantics(string selector, bool expected) =>
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Labels));

    [Theory]
    [InlineData("zone in eu-central-1a")]
    [InlineData("a,,b")]
    public void Parse_Malformed_Throws(string selector) =>
        Assert.Throws<FormatException>(() => LabelSelector.Parse(selector));
}
