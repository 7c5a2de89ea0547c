namespace DrSentinel.Sandbox.Region;

/// <summary>An error the way an AWS service reports it: a code from the service's documented error shapes.</summary>
public sealed class AwsFaultException(string code, string message, int httpStatus = 400, bool senderFault = true) : Exception(message)
{
    public string Code { get; } = code;
    public int HttpStatus { get; } = httpStatus;
    public bool SenderFault { get; } = senderFault;

    /// <summary>The error shape's other members, for the JSON protocols (ARC's reason, the conflicting zonalShiftId).</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();

    public static AwsFaultException Validation(string message) => new("ValidationError", message);
    public static AwsFaultException InvalidParameterValue(string message) => new("InvalidParameterValue", message);
    public static AwsFaultException InvalidParameterCombination(string message) => new("InvalidParameterCombination", message);
    public static AwsFaultException MissingParameter(string name) => new("MissingParameter", $"The request must contain the parameter {name}");
}
