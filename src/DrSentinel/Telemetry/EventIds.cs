namespace DrSentinel;

/// <summary>Every log event id DrSentinel writes, in one place so none is reused: 1xxx AWS, 2xxx Kubernetes, 3xxx sources and probes.</summary>
internal static class EventIds
{
    public const int Listening = 1;
    public const int SandboxServing = 2;
    public const int SandboxDataPlane = 3;

    public const int AwsRetry = 1001;

    public const int NodesListed = 2001;
    public const int NodeWatchGone = 2002;
    public const int NodeWatchFailed = 2003;

    public const int SourceRefreshFailed = 3001;
    public const int PostgresProbeFailed = 3002;
    public const int RedisProbeFailed = 3003;
}
