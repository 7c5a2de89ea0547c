namespace DrSentinel.Clients.Aws;

/// <summary>An AWS API call that AWS answered with an error document (or that never got an answer).</summary>
public sealed class AwsServiceException(string service, string operation, string code, string message, int? httpStatus, string? requestId, Exception? inner = null)
    : Exception($"{service} {operation} failed: {code}: {message}" + (requestId is null ? "" : $" (request {requestId})"), inner)
{
    public string Service { get; } = service;
    public string Operation { get; } = operation;
    public string Code { get; } = code;
    public int? HttpStatus { get; } = httpStatus;
    public string? RequestId { get; } = requestId;

    /// <summary>The JSON services' finer reason (ARC's ZonalShiftAlreadyExists, InvalidExpiresIn); null where there is none.</summary>
    public string? Reason { get; init; }

    /// <summary>Codes AWS documents as "slow down and try again".</summary>
    public bool IsThrottling => Code is "Throttling" or "ThrottlingException" or "RequestLimitExceeded" or "RequestThrottled"
        or "TooManyRequestsException" or "ProvisionedThroughputExceededException" or "SlowDown";
}
