namespace DrSentinel.Sandbox.Aws;

/// <summary>How a service answers one error code: its HTTP status, and whether the caller (Sender) or AWS (Receiver) is at fault.</summary>
public sealed record ErrorShape(int HttpStatus, bool SenderFault = true);

/// <summary>
/// The error codes a drill can inject and get answered as AWS answers them. Each entry is what the service's botocore
/// model says of that code (an error shape's httpStatusCode and senderFault) for the operations the sandbox serves,
/// or, for the codes every Query service shares, AWS's Common Errors pages. Kept here as data so that the sandbox
/// needs no botocore at run time; boto3_fidelity.py injects a sample of them and checks each against boto3's model.
/// </summary>
internal static class ModeledErrors
{
    private static readonly ErrorShape BadRequest = new(400);
    private static readonly ErrorShape NotFound = new(404);

    private static Dictionary<string, ErrorShape> Common() => new(StringComparer.Ordinal)
    {
        ["Throttling"] = BadRequest,
        ["InvalidParameterValue"] = BadRequest,
        ["InvalidParameterCombination"] = BadRequest,
        ["MissingParameter"] = BadRequest,
        ["ValidationError"] = BadRequest,
        ["InternalFailure"] = new(500, SenderFault: false),
        ["ServiceUnavailable"] = new(503, SenderFault: false),
    };

    private static Dictionary<string, ErrorShape> CommonAnd(params (string Code, ErrorShape Shape)[] modeled)
    {
        var errors = Common();
        foreach (var (code, shape) in modeled) errors[code] = shape;
        return errors;
    }

    public static readonly IReadOnlyDictionary<string, ErrorShape> Rds = CommonAnd(
        ("DBInstanceNotFound", NotFound),
        ("DBClusterNotFoundFault", NotFound),
        ("InvalidDBInstanceState", BadRequest),
        ("InvalidDBClusterStateFault", BadRequest),
        ("KMSKeyNotAccessibleFault", BadRequest));

    public static readonly IReadOnlyDictionary<string, ErrorShape> ElastiCache = CommonAnd(
        ("ReplicationGroupNotFoundFault", NotFound),
        ("CacheClusterNotFound", NotFound),
        ("NodeGroupNotFoundFault", NotFound),
        ("TagNotFound", NotFound),
        ("InvalidReplicationGroupState", BadRequest),
        ("InvalidCacheClusterState", BadRequest),
        ("TestFailoverNotAvailableFault", BadRequest),
        ("APICallRateForCustomerExceeded", BadRequest),
        ("InsufficientCacheClusterCapacity", BadRequest),
        ("InvalidARN", BadRequest),
        ("TagQuotaPerResourceExceeded", BadRequest));

    // The Auto Scaling model makes ResourceContention a 500 that is still the sender's fault.
    public static readonly IReadOnlyDictionary<string, ErrorShape> AutoScaling = CommonAnd(
        ("ResourceContention", new(500)),
        ("ServiceLinkedRoleFailure", new(500)),
        ("ScalingActivityInProgress", BadRequest),
        ("ResourceInUse", BadRequest),
        ("LimitExceeded", BadRequest),
        ("AlreadyExists", BadRequest),
        ("InvalidNextToken", BadRequest));

    public static readonly IReadOnlyDictionary<string, ErrorShape> Sts = CommonAnd(
        ("ExpiredTokenException", BadRequest),
        ("InvalidIdentityToken", BadRequest),
        ("IDPCommunicationError", BadRequest),
        ("IDPRejectedClaim", new(403)));

    public static readonly IReadOnlyDictionary<string, ErrorShape> Iam = CommonAnd(
        ("NoSuchEntity", NotFound),
        ("InvalidInput", BadRequest),
        ("PolicyEvaluation", new(500, SenderFault: false)),
        ("AccessDenied", new(403)));

    // EC2's model has no error shapes; botocore's retry rules expect its throttling as HTTP 503.
    public static readonly IReadOnlyDictionary<string, ErrorShape> Ec2 = new Dictionary<string, ErrorShape>(StringComparer.Ordinal)
    {
        ["RequestLimitExceeded"] = new(503, SenderFault: false),
        ["InvalidParameterValue"] = BadRequest,
        ["InvalidSubnetID.NotFound"] = BadRequest,
        ["InternalError"] = new(500, SenderFault: false),
        ["Unavailable"] = new(503, SenderFault: false),
    };
}
