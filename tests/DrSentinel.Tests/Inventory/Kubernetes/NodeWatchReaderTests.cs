using System.Text.Json;
using DrSentinel.Inventory.Kubernetes;
using DrSentinel.Inventory;

namespace DrSentinel.Tests.Inventory.Kubernetes;

public sealed class NodeWatchReaderTests
{
    [Fact]
    public void Parse_ModifiedNode_GivesTheNodeWithItsVersionLabelsAndConditions()
    {
        var change = NodeWatchReader.Parse("""
            {"type":"MODIFIED","object":{"kind":"Node","apiVersion":"v1","metadata":{"name":"ip-10-0-1-5","resourceVersion":"42",
             "labels":{"topology.kubernetes.io/zone":"eu-central-1a"}},"spec":{"unschedulable":true},
             "status":{"conditions":[{"type":"Ready","status":"False"}]}}}
            """);

        Assert.Equal(NodeWatchEventType.Modified, change.Type);
        var node = NodeStates.From(change.Node);
        Assert.Equal(new NodeState("ip-10-0-1-5", "eu-central-1a", null, "False", true, "42"), node);
    }

    [Fact]
    public void Parse_Bookmark_CarriesOnlyItsResourceVersion()
    {
        var change = NodeWatchReader.Parse("""{"type":"BOOKMARK","object":{"kind":"Node","apiVersion":"v1","metadata":{"resourceVersion":"977"}}}""");

        Assert.Equal((NodeWatchEventType.Bookmark, "977"), (change.Type, change.Node.Metadata.ResourceVersion));
    }

    [Fact]
    public void Parse_ErrorWithStatus410_ThrowsGone()
    {
        var error = Assert.Throws<NodeWatchException>(() => NodeWatchReader.Parse(
            """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 5 (90)","reason":"Expired","code":410}}"""));

        Assert.True(error.Gone);
        Assert.Contains("too old resource version", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type":"SURPRISE","object":{}}""")]
    [InlineData("""not json""")]
    public void Parse_MalformedLine_IsAJsonError(string line) =>
        Assert.ThrowsAny<JsonException>(() => NodeWatchReader.Parse(line));
}
