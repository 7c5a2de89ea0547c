namespace DrSentinel.Sandbox.Region;

/// <summary>
/// The simulated region: one lock around a mutable world, and a queue of things that happen later in region time
/// (an instance joining, a failover completing). Every API and control operation takes the lock, first applies what
/// has fallen due, then acts.
/// </summary>
public sealed partial class SandboxRegion
{
    private readonly object _gate = new();
    private readonly PriorityQueue<Action, (DateTimeOffset Due, long Seq)> _pending = new();
    private readonly Random _random;
    private long _sequence;
    private int _idCounter;

    public SandboxRegion(Topology topology, SimulatedClock clock, int seed = 1, int watchHistoryLimit = 10_000)
    {
        Topology = topology;
        IamPolicy = Aws.IamApi.DefaultPolicy(topology.ClusterName);
        Clock = clock;
        _random = new Random(seed);
        Cluster = new ClusterStore(topology.Region, watchHistoryLimit);
        foreach (var az in topology.AvailabilityZones) Zones[az] = new AvailabilityZone(az);
        foreach (var subnet in topology.Subnets) SubnetZones[subnet.Id] = subnet.AvailabilityZone;
        SeedScalingGroups();
        SeedDatabases();
        SeedReplicationGroups();
        RenewNodeLeases();
    }

    public Topology Topology { get; }
    public SimulatedClock Clock { get; }
    public string Name => Topology.Region;
    public DateTimeOffset Now => Clock.GetUtcNow();

    internal Dictionary<string, AvailabilityZone> Zones { get; } = new(StringComparer.Ordinal);
    internal Dictionary<string, string> SubnetZones { get; } = new(StringComparer.Ordinal);
    internal Dictionary<string, ScalingGroup> ScalingGroups { get; } = new(StringComparer.Ordinal);
    internal Dictionary<string, Ec2Instance> Instances { get; } = new(StringComparer.Ordinal);
    internal Dictionary<string, DbInstance> DbInstances { get; } = new(StringComparer.Ordinal);
    internal Dictionary<string, DbCluster> DbClusters { get; } = new(StringComparer.Ordinal);
    internal List<RdsEvent> RdsEvents { get; } = [];
    /// <summary>ElastiCache's events, in the same shape (its events carry no category).</summary>
    internal List<RdsEvent> CacheEvents { get; } = [];
    internal Dictionary<string, CacheReplicationGroup> ReplicationGroups { get; } = new(StringComparer.Ordinal);
    internal Dictionary<(string Namespace, string Name), Lease> Leases { get; } = [];
    internal List<FaultRule> Faults { get; } = [];
    internal List<System.Text.Json.Nodes.JsonObject> KubernetesEvents { get; } = [];
    internal Dictionary<string, long> ApiCalls { get; } = new(StringComparer.Ordinal);
    public ClusterStore Cluster { get; }

    /// <summary>The identity policy of the sandbox's callers, which IAM's SimulatePrincipalPolicy judges (docs/iam-policy.json by default).</summary>
    public string IamPolicy { get; set; } = "";

    /// <summary>What the cluster's RBAC takes away from DrSentinel's service account (nothing, unless a test says).</summary>
    public Kubernetes.SandboxRbac Rbac { get; } = new();

    /// <summary>Runs <paramref name="action"/> under the region lock after applying everything that has fallen due.</summary>
    public T Read<T>(Func<SandboxRegion, T> action)
    {
        lock (_gate)
        {
            RunDue();
            return action(this);
        }
    }

    public void Write(Action<SandboxRegion> action)
    {
        lock (_gate)
        {
            RunDue();
            action(this);
        }
    }

    /// <summary>Applies what has fallen due; called by the region's ticker and before every operation.</summary>
    public void Tick()
    {
        lock (_gate) RunDue();
    }

    internal void After(TimeSpan delay, Action action) => _pending.Enqueue(action, (Now + delay, ++_sequence));

    internal TimeSpan Between(double minSeconds, double maxSeconds) =>
        TimeSpan.FromSeconds(minSeconds + _random.NextDouble() * (maxSeconds - minSeconds));

    internal bool Chance(double probability) => _random.NextDouble() < probability;

    internal string NewId(string prefix, int hexDigits = 17)
    {
        var value = (ulong)Interlocked.Increment(ref _idCounter) * 0x9E3779B97F4A7C15UL;
        return prefix + value.ToString("x16")[..Math.Min(16, hexDigits)].PadLeft(hexDigits, '0');
    }

    /// <summary>Counts one API call; the control API shows these so tests can assert "no LIST in steady state".</summary>
    internal void CountCall(string service, string operation)
    {
        var key = $"{service}:{operation}";
        ApiCalls[key] = ApiCalls.GetValueOrDefault(key) + 1;
    }

    private void RunDue()
    {
        var now = Now;
        while (_pending.TryPeek(out _, out var when) && when.Due <= now)
            _pending.Dequeue()();
    }
}
