namespace DrSentinel.Alerting;

/// <summary>The operators' endpoints (preview, kill switch, incidents, the status page) answer only their own credential.</summary>
public static class OperatorAuthentication
{
    /// <summary>True for the operators' credential; otherwise the 401 is written and false returned.</summary>
    public static async Task<bool> AuthenticatedAsync(HttpContext context)
    {
        if (context.RequestServices.GetRequiredService<WebhookAuthenticator>().AcceptsOperator(context)) return true;
        await Results.Json(new WebhookAnswer(0, 0, 0, "missing or wrong operator credential (Receiver:OperatorTokenFile; Alertmanager's is not accepted here)"),
            WebhookJsonContext.Default.WebhookAnswer, statusCode: 401).ExecuteAsync(context);
        return false;
    }
}
