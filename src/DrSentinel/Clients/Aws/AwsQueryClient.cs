using System.Text;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;
using Amazon.SecurityToken;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DrSentinel.Clients.Aws;

/// <summary>What the Query protocol needs to know about one service.</summary>
public sealed record QueryApi(string SigningName, string Version);

/// <summary>
/// The AWS Query protocol on AWSSDK.Core: form-encoded POST, SigV4 by the SDK's signer, credentials from the SDK's
/// default chain (IRSA included), retries with capped exponential backoff and full jitter.
/// </summary>
public sealed partial class AwsQueryClient(
    HttpClient http, IOptions<AwsOptions> options, AWSCredentials credentials, TimeProvider time, Random random, ApiCallRecorder recorder,
    ILogger<AwsQueryClient> logger)
{
    private readonly AwsOptions _options = options.Value;
    private int _attempts = options.Value.MaxAttempts;

    /// <summary>
    /// This client sending each call once: for a caller that retries itself, reading again before each attempt (the step
    /// executor), so a step has one retry layer and one budget rather than attempts within attempts.
    /// </summary>
    public AwsQueryClient SingleAttempt() => new(http, options, credentials, time, random, recorder, logger) { _attempts = 1 };

    /// <summary>
    /// Sends one operation and returns its result element. <paramref name="idempotent"/> operations are retried on any
    /// transient failure; the others only when AWS said it throttled them, so an action is never sent twice after AWS may have taken it.
    /// </summary>
    public Task<XElement> SendAsync(QueryApi api, string operation, IEnumerable<KeyValuePair<string, string>> parameters, bool idempotent, CancellationToken cancel)
    {
        var form = new StringBuilder($"Action={operation}&Version={api.Version}");
        foreach (var (key, value) in parameters)
            form.Append('&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        var body = Encoding.UTF8.GetBytes(form.ToString());
        return WithRetriesAsync(api.SigningName, operation, idempotent, () => SendOnceAsync(api, operation, body, cancel), cancel);
    }

    /// <summary>
    /// One operation of a REST-JSON service (ARC zonal shift): <paramref name="path"/> with {label} placeholders filled
    /// from <paramref name="labels"/>, an optional JSON body; returns the answer's JSON (an empty object for none).
    /// Retried as <see cref="SendAsync"/> is.
    /// </summary>
    public Task<System.Text.Json.JsonElement> SendJsonAsync(string signingName, string operation, HttpMethod method, string path,
        IReadOnlyDictionary<string, string> labels, byte[]? body, bool idempotent, CancellationToken cancel) =>
        WithRetriesAsync(signingName, operation, idempotent, () => SendJsonOnceAsync(signingName, operation, method, path, labels, body, cancel), cancel);

    private async Task<T> WithRetriesAsync<T>(string service, string operation, bool idempotent, Func<Task<T>> send, CancellationToken cancel)
    {
        for (var attempt = 1; ; attempt++)
        {
            var started = time.GetTimestamp();
            // A span per attempt, only under a trace the engine started (the inventory's polling would be noise).
            using var activity = System.Diagnostics.Activity.Current is null ? null
                : Observability.Source.StartActivity($"aws {service} {operation}", System.Diagnostics.ActivityKind.Client);
            activity?.SetTag("rpc.system", "aws-api");
            activity?.SetTag("rpc.service", service);
            activity?.SetTag("rpc.method", operation);
            activity?.SetTag("attempt", attempt);
            try
            {
                var result = await send();
                recorder.Record("aws", service, operation, "success", time.GetElapsedTime(started));
                return result;
            }
            catch (AwsServiceException e) when (!cancel.IsCancellationRequested)
            {
                activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Code);
                var retryable = e.IsThrottling || (idempotent && (e.HttpStatus is null or >= 500));
                recorder.Record("aws", service, operation, e.IsThrottling ? "throttled" : "error", time.GetElapsedTime(started));
                if (!retryable || attempt >= _attempts) throw;
                var delay = Backoff(attempt);
                LogRetry(logger, service, operation, e.Code, attempt, delay.TotalMilliseconds);
                await Task.Delay(delay, time, cancel);
            }
        }
    }

    /// <summary>
    /// Every page of a Describe call: sends <paramref name="requestToken"/> with the token the last page answered in
    /// <paramref name="responseToken"/> (Marker for RDS and ElastiCache, NextToken for Auto Scaling, nextToken for EC2).
    /// </summary>
    public async Task<IReadOnlyList<T>> PagesAsync<T>(QueryApi api, string operation, IReadOnlyList<KeyValuePair<string, string>> parameters, string listName,
        Func<XElement, T> parse, CancellationToken cancel, string requestToken = "Marker", string responseToken = "Marker")
    {
        var items = new List<T>();
        string? token = null;
        do
        {
            IEnumerable<KeyValuePair<string, string>> page = token is null ? parameters : [.. parameters, new(requestToken, token)];
            var result = await SendAsync(api, operation, page, idempotent: true, cancel);
            items.AddRange(result.Items(listName).Select(parse));
            token = result.Text(responseToken);
        } while (!string.IsNullOrEmpty(token));
        return items;
    }

    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(_options.RetryMaxDelay.TotalMilliseconds, _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(random.NextDouble() * ceiling);
    }

    private async Task<XElement> SendOnceAsync(QueryApi api, string operation, byte[] body, CancellationToken cancel)
    {
        var endpoint = _options.EndpointFor(api.SigningName);
        using var message = await SignAsync(api.SigningName, HttpMethod.Post, endpoint.AbsolutePath, NoLabels, body,
            "application/x-www-form-urlencoded; charset=utf-8", cancel);
        var (response, answer) = await ExchangeAsync(api.SigningName, operation, message, cancel);
        using (response)
        {
            XElement document;
            try
            {
                document = XElement.Parse(Encoding.UTF8.GetString(answer));
            }
            catch (System.Xml.XmlException e)
            {
                throw new AwsServiceException(api.SigningName, operation, "UnparseableResponse",
                    $"HTTP {(int)response.StatusCode} with a body that is not XML", (int)response.StatusCode, null, e);
            }
            if (!response.IsSuccessStatusCode)
            {
                // Query services answer <ErrorResponse><Error/><RequestId/>; EC2 answers <Response><Errors><Error/></Errors><RequestID/>.
                var error = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "Error");
                var requestId = document.Descendants().FirstOrDefault(e => e.Name.LocalName is "RequestId" or "RequestID")?.Value;
                throw new AwsServiceException(api.SigningName, operation, error?.Text("Code") ?? $"Http{(int)response.StatusCode}",
                    error?.Text("Message") ?? "", (int)response.StatusCode, requestId);
            }
            return document.Child(operation + "Result") ?? document;
        }
    }

    private static readonly Dictionary<string, string> NoLabels = [];

    /// <summary>
    /// A request signed with SigV4 by the SDK's signer: <paramref name="path"/> with {label} placeholders filled from
    /// <paramref name="labels"/> as the SDK's generated clients do (percent-encoded on the wire, signed double-encoded).
    /// </summary>
    private async Task<HttpRequestMessage> SignAsync(string signingName, HttpMethod method, string path, IReadOnlyDictionary<string, string> labels,
        byte[]? body, string contentType, CancellationToken cancel)
    {
        var endpoint = _options.EndpointFor(signingName);
        // Resolved (and refreshed) here, outside the signer, which would block; temporary keys carry a session token.
        var resolved = await credentials.GetCredentialsAsync();
        cancel.ThrowIfCancellationRequested();
        var request = new DefaultRequest(new SignedQuery(), signingName)
        {
            HttpMethod = method.Method,
            Endpoint = new Uri(endpoint.GetLeftPart(UriPartial.Authority)),
            ResourcePath = path,
            Content = body,
            AuthenticationRegion = _options.SigningRegionFor(signingName),
            OverrideSigningServiceName = signingName,
        };
        foreach (var (label, value) in labels) request.AddPathResource("{" + label + "}", value);
        if (body is not null) request.Headers["Content-Type"] = contentType;
        if (resolved.UseToken) request.Headers["X-Amz-Security-Token"] = resolved.Token;
        var config = new AmazonSecurityTokenServiceConfig { AuthenticationRegion = _options.SigningRegionFor(signingName), ServiceURL = endpoint.ToString() };
        // Sign with exactly the keys resolved above: handing the signer the provider would resolve again, and around a
        // refresh the token sent and the key signed with could come from two different credentials.
        new AWS4Signer().Sign(request, config, null, Pinned(resolved));

        var message = new HttpRequestMessage(method, AmazonServiceClient.ComposeUrl(request)) { Content = new ByteArrayContent(body ?? []) };
        foreach (var (name, value) in request.Headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                message.Content.Headers.TryAddWithoutValidation(name, value);
            else if (!name.Equals("Host", StringComparison.OrdinalIgnoreCase) && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                message.Headers.TryAddWithoutValidation(name, value);
        }
        return message;
    }

    /// <summary>One attempt on the wire within Aws:Timeout; no answer at all becomes RequestTimeout or ConnectionFailure.</summary>
    private async Task<(HttpResponseMessage Response, byte[] Body)> ExchangeAsync(string service, string operation, HttpRequestMessage message, CancellationToken cancel)
    {
        using var attemptTimeout = new CancellationTokenSource(_options.Timeout, time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel, attemptTimeout.Token);
        HttpResponseMessage? response = null;
        try
        {
            response = await http.SendAsync(message, timeout.Token);
            recorder.AwsAnswered(response.Headers.Date);
            return (response, await response.Content.ReadAsByteArrayAsync(timeout.Token));
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancel.IsCancellationRequested))
        {
            response?.Dispose();
            var code = e is OperationCanceledException ? "RequestTimeout" : "ConnectionFailure";
            throw new AwsServiceException(service, operation, code, e.Message, null, null, e);
        }
    }

    private async Task<System.Text.Json.JsonElement> SendJsonOnceAsync(string signingName, string operation, HttpMethod method, string path,
        IReadOnlyDictionary<string, string> labels, byte[]? body, CancellationToken cancel)
    {
        using var message = await SignAsync(signingName, method, path, labels, body, "application/json", cancel);
        var (response, answer) = await ExchangeAsync(signingName, operation, message, cancel);
        using (response)
        {
            System.Text.Json.JsonElement document;
            try
            {
                document = answer.Length == 0 ? default : System.Text.Json.JsonDocument.Parse(answer).RootElement.Clone();
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new AwsServiceException(signingName, operation, "UnparseableResponse",
                    $"HTTP {(int)response.StatusCode} with a body that is not JSON", (int)response.StatusCode, null, e);
            }
            if (response.IsSuccessStatusCode) return document;
            // REST-JSON names the error in x-amzn-ErrorType ("Code:uri" at times), else in the body's __type or code.
            var requestId = response.Headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.FirstOrDefault() : null;
            var type = response.Headers.TryGetValues("x-amzn-ErrorType", out var types) ? types.FirstOrDefault()
                : document.ValueKind == System.Text.Json.JsonValueKind.Object && (document.TryGetProperty("__type", out var t) || document.TryGetProperty("code", out t)) ? t.GetString()
                : null;
            var messageText = document.ValueKind == System.Text.Json.JsonValueKind.Object
                && (document.TryGetProperty("message", out var m) || document.TryGetProperty("Message", out m)) ? m.GetString() : null;
            var reason = document.ValueKind == System.Text.Json.JsonValueKind.Object && document.TryGetProperty("reason", out var r) ? r.GetString() : null;
            throw new AwsServiceException(signingName, operation, type?.Split(':')[0].Split('#')[^1] ?? $"Http{(int)response.StatusCode}",
                (messageText ?? "") + (reason is null ? "" : $" (reason {reason})"), (int)response.StatusCode, requestId) { Reason = reason };
        }
    }

    internal static AWSCredentials Pinned(ImmutableCredentials credentials) => credentials.UseToken
        ? new SessionAWSCredentials(credentials.AccessKey, credentials.SecretKey, credentials.Token)
        : new BasicAWSCredentials(credentials.AccessKey, credentials.SecretKey);

    private sealed class SignedQuery : AmazonWebServiceRequest;

    [LoggerMessage(EventId = EventIds.AwsRetry, Level = LogLevel.Warning, Message = "AWS {Service} {Operation} failed with {Code}; attempt {Attempt}, retrying in {DelayMs:F0} ms")]
    private static partial void LogRetry(ILogger logger, string service, string operation, string code, int attempt, double delayMs);
}
