using Microsoft.Extensions.Options;

namespace DrSentinel.Alerting;

public sealed class ReceiverOptionsValidator : IValidateOptions<ReceiverOptions>
{
    public ValidateOptionsResult Validate(string? name, ReceiverOptions o)
    {
        if (!o.Enabled) return ValidateOptionsResult.Success;
        List<string> errors = [];
        var basic = o.BasicAuthUsername is not null || o.BasicAuthPasswordFile is not null;
        if (basic && (o.BasicAuthUsername is null || o.BasicAuthPasswordFile is null))
            errors.Add("Receiver:BasicAuthUsername and Receiver:BasicAuthPasswordFile go together");
        if (basic && o.BearerTokenFile is not null) errors.Add("Receiver: set either BearerTokenFile or basic auth, not both");
        if (!basic && o.BearerTokenFile is null && !o.AllowUnauthenticated)
            errors.Add("Receiver:Enabled is true but no credential is set: give Receiver:BearerTokenFile (or Receiver:BasicAuthUsername and "
                + "Receiver:BasicAuthPasswordFile), as Alertmanager's http_config sends it; Receiver:AllowUnauthenticated=true only for a loopback development run");
        if (!o.Path.StartsWith('/')) errors.Add($"Receiver:Path must start with '/', not '{o.Path}'");
        if (o.MaxBodyBytes < 1024) errors.Add($"Receiver:MaxBodyBytes must be at least 1024, not {o.MaxBodyBytes}");
        if (o.QueueCapacity < 1) errors.Add($"Receiver:QueueCapacity must be at least 1, not {o.QueueCapacity}");
        if (o.DuplicateMemory < TimeSpan.FromHours(1)) errors.Add($"Receiver:DuplicateMemory must be at least an hour (Alertmanager repeats for hours), not {o.DuplicateMemory}");
        foreach (var url in o.AlertmanagerUrls.Where(u => !u.IsAbsoluteUri || u.Scheme is not ("http" or "https")))
            errors.Add($"Receiver:AlertmanagerUrls: '{url}' is not an absolute http(s) URL");
        if (o.AlertmanagerTokenFile is { } token && !File.Exists(token)) errors.Add($"Receiver:AlertmanagerTokenFile: {token} does not exist");
        if (o.ReconcileEvery < TimeSpan.FromSeconds(1)) errors.Add($"Receiver:ReconcileEvery must be at least 1 s, not {o.ReconcileEvery}");
        if (string.IsNullOrWhiteSpace(o.StateDirectory)) errors.Add("Receiver:StateDirectory must name a writable directory");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
