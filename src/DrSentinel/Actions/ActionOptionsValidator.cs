using Microsoft.Extensions.Options;

namespace DrSentinel.Actions;

public sealed class ActionOptionsValidator(IOptions<Inventory.InventoryOptions> inventory) : IValidateOptions<ActionOptions>
{
    public ValidateOptionsResult Validate(string? name, ActionOptions o)
    {
        List<string> errors = [];
        if (o.HaltAboveUnreadyShare is <= 0 or > 1) errors.Add($"Actions:HaltAboveUnreadyShare must be in (0, 1], not {o.HaltAboveUnreadyShare}");
        if (o.Cooldown < TimeSpan.Zero) errors.Add($"Actions:Cooldown must not be negative, not {o.Cooldown}");
        if (o.MaxActionsPerHour < 1) errors.Add($"Actions:MaxActionsPerHour must be at least 1, not {o.MaxActionsPerHour}");
        if (o.MaxAttempts is < 1 or > 10) errors.Add($"Actions:MaxAttempts must be between 1 and 10, not {o.MaxAttempts}");
        if (o.MaxReplans is < 1 or > 10) errors.Add($"Actions:MaxReplans must be between 1 and 10, not {o.MaxReplans}");
        if (o.RetryBaseDelay <= TimeSpan.Zero || o.RetryBaseDelay > TimeSpan.FromSeconds(10))
            errors.Add($"Actions:RetryBaseDelay must be above 0 and at most 10 s, not {o.RetryBaseDelay}");
        if (o.RecheckEvery < TimeSpan.FromSeconds(1) || o.RecheckEvery > TimeSpan.FromHours(1))
            errors.Add($"Actions:RecheckEvery must be between 1 s and 1 h, not {o.RecheckEvery}");
        if (o.CapacityArrivalWithin < TimeSpan.FromSeconds(1) || o.CapacityArrivalWithin > TimeSpan.FromHours(1))
            errors.Add($"Actions:CapacityArrivalWithin must be between 1 s and 1 h, not {o.CapacityArrivalWithin}");
        if (o.AllowedNodeGroups.Any(string.IsNullOrWhiteSpace)) errors.Add("Actions:AllowedNodeGroups has an empty name (an empty entry never means \"all\")");
        if (o.AllowedDatabases.Any(string.IsNullOrWhiteSpace)) errors.Add("Actions:AllowedDatabases has an empty name (an empty entry never means \"all\")");
        if (o.FailoverGrace < TimeSpan.Zero || o.FailoverGrace > TimeSpan.FromMinutes(30))
            errors.Add($"Actions:FailoverGrace must be between 0 and 30 min, not {o.FailoverGrace}");
        if (o.PromotableReplicas.Any(string.IsNullOrWhiteSpace)) errors.Add("Actions:PromotableReplicas has an empty name (an empty entry never means \"all\")");
        if (o.ReplicaPromotionRpo <= TimeSpan.Zero || o.ReplicaPromotionRpo > TimeSpan.FromDays(1))
            errors.Add($"Actions:ReplicaPromotionRpo must be above 0 and at most 1 day, not {o.ReplicaPromotionRpo}");
        if (o.ZonalShiftLasts < TimeSpan.FromMinutes(1) || o.ZonalShiftLasts > TimeSpan.FromHours(72))
            errors.Add($"Actions:ZonalShiftLasts must be between 1 min and 72 h (ARC's limits), not {o.ZonalShiftLasts}");
        if (o.ShiftTrafficAway && inventory.Value.ZonalShiftResources.Count == 0)
            errors.Add("Actions:ShiftTrafficAway is on but Inventory:ZonalShiftResources names no resource to shift");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
