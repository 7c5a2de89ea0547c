namespace DrSentinel;

/// <summary>
/// Every log event id DrSentinel writes, in one place so none is reused: 1xxx AWS, 2xxx Kubernetes, 3xxx sources and
/// probes, 4xxx the webhook receiver, 5xxx the action engine, 6xxx leadership.
/// </summary>
internal static class EventIds
{
    public const int Listening = 1;
    public const int SandboxServing = 2;
    public const int SandboxDataPlane = 3;
    public const int SandboxRunState = 4;

    public const int AwsRetry = 1001;

    public const int NodesListed = 2001;
    public const int NodeWatchGone = 2002;
    public const int NodeWatchFailed = 2003;
    public const int KubeletHeartbeats = 2004;

    public const int SourceRefreshFailed = 3001;
    public const int PostgresProbeFailed = 3002;
    public const int RedisProbeFailed = 3003;

    public const int WebhookAccepted = 4001;
    public const int WebhookRefused = 4002;
    public const int WebhookTruncated = 4003;
    public const int WebhookNotDurable = 4004;
    public const int InboxRequeued = 4005;
    public const int InboxUnreadable = 4006;
    public const int InboxWriteFailed = 4007;

    public const int PlanMade = 5001;
    public const int StepNotActed = 5002;
    public const int StepActed = 5003;
    public const int StepAlreadyDone = 5004;
    public const int StepStale = 5005;
    public const int StepFailed = 5007;
    public const int StepRetry = 5008;
    public const int PlanGaveUp = 5009;
    public const int HandlingFailed = 5010;
    public const int InventoryLate = 5011;
    public const int KillSwitchChanged = 5012;
    public const int ReceiverInsecure = 5013;
    public const int ActionMode = 5014;
    public const int KubernetesEventFailed = 5015;
    public const int PlanFailed = 5016;
    public const int GroupsNotReadAgain = 5017;
    public const int PlanWaitsForZone = 5018;
    public const int PlanWaitEnded = 5019;
    public const int HistoryUnreadable = 5020;
    public const int PlanLeftUndone = 5021;
    public const int TestFailoverRefused = 5022;
    public const int MultiAzInTheWay = 5023;
    public const int FailoverDone = 5024;
    public const int FailoverNotDone = 5025;
    public const int FailoverReadFailed = 5026;
    public const int Fenced = 5027;
    public const int KillSwitchNotChanged = 5028;
    public const int SharedHistoryNotWritten = 5029;
    public const int CapacityShort = 5031;
    public const int CapacityFollowUpFailed = 5032;
    public const int StepRefusedByAws = 5033;
    public const int ReadinessCheckFailed = 5034;

    public const int IncidentOpened = 5101;
    public const int IncidentsUnreadable = 5102;
    public const int IncidentNotWritten = 5103;

    public const int LeaderElectionStarting = 6001;
    public const int LeaderElected = 6002;
    public const int LeaderLost = 6003;
    public const int LeaderRenewDeadline = 6004;
    public const int LeaderReleased = 6005;
    public const int LeaseCallFailed = 6006;
    public const int ReconcileOff = 6007;
    public const int ReconcileFound = 6008;
    public const int ReconcileFailed = 6009;
    public const int ReconcileRequestFailed = 6010;
    public const int ReconcileInferredResolved = 6011;
}
