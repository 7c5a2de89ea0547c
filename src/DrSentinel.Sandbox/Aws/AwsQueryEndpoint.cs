using System.Text;
using System.Xml;
using DrSentinel.Sandbox.Region;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DrSentinel.Sandbox.Aws;

/// <summary>Serves the AWS Query protocol for every sandbox service on one address; the Version parameter picks the service.</summary>
public static class AwsQueryEndpoint
{
    private static readonly XmlWriterSettings WriterSettings = new() { Encoding = new UTF8Encoding(false), Indent = false };

    public static IEndpointRouteBuilder MapAwsQuery(this IEndpointRouteBuilder app, SandboxRegion region, SigV4Verifier verifier, CredentialStore credentials)
    {
        var services = new[] { RdsApi.Service, ElastiCacheApi.Service, AutoScalingApi.Service, Ec2Api.Service, StsApi.Service(credentials), IamApi.Service(credentials) }
            .ToDictionary(s => s.Version, StringComparer.Ordinal);
        app.MapPost("/", (HttpContext context) => HandleAsync(context, region, verifier, services));
        return app;
    }

    private static async Task HandleAsync(HttpContext context, SandboxRegion region, SigV4Verifier verifier,
        Dictionary<string, QueryService> services)
    {
        var requestId = Guid.NewGuid().ToString();
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body))
            .ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal);
        var version = form.GetValueOrDefault("Version") ?? "";
        var action = form.GetValueOrDefault("Action") ?? "";
        var service = services.GetValueOrDefault(version) ?? RdsApi.Service;
        try
        {
            if (!services.ContainsKey(version))
                throw new AwsFaultException("InvalidAction", $"Could not find operation {action} for version {version}");
            if (!service.Operations.TryGetValue(action, out var operation))
                throw new AwsFaultException("InvalidAction", $"Could not find operation {action} for version {version}");
            string? caller = null;
            if (!operation.NeedsNoSignature)
            {
                var unknownKey = service.IsEc2Dialect ? "AuthFailure" : "InvalidClientTokenId";
                var badSignature = service.IsEc2Dialect ? "AuthFailure" : "SignatureDoesNotMatch";
                var identity = verifier.Verify(context.Request, body, unknownKey, badSignature);
                if (identity.Service != service.SigningName)
                    throw new AwsFaultException(badSignature, $"Credential should be scoped to correct service: '{service.SigningName}'.", 403);
                if (service.SigningName == "iam" && identity.Region != IamApi.SigningRegion)
                    throw new AwsFaultException(badSignature, $"Credential should be scoped to a valid region, not '{identity.Region}'. ", 403);
                caller = identity.AccessKeyId;
            }

            var fault = region.Read(r =>
            {
                r.CountCall(service.SigningName, action);
                return r.MatchFault(service.SigningName, action);
            });
            if (fault is not null)
            {
                if (fault.AddedLatency > TimeSpan.Zero) await Task.Delay(fault.AddedLatency, context.RequestAborted);
                if (fault.ErrorCode is not null) throw service.Fault(fault.ErrorCode, $"Injected fault: {fault.ErrorCode}");
            }

            var xml = region.Read(r => Render(service, action, operation, new QueryParameters(form) { Caller = caller }, r, requestId));
            context.Response.ContentType = "text/xml";
            await context.Response.Body.WriteAsync(xml, context.RequestAborted);
        }
        catch (AwsFaultException fault)
        {
            // EC2 answers a credential it cannot accept with 401 AuthFailure, where the Query services answer 403.
            context.Response.StatusCode = service.IsEc2Dialect && fault.Code == "AuthFailure" ? 401 : fault.HttpStatus;
            context.Response.ContentType = "text/xml";
            await context.Response.Body.WriteAsync(RenderError(service, fault, requestId), context.RequestAborted);
        }
    }

    private static byte[] Render(QueryService service, string action, Operation operation, QueryParameters parameters, SandboxRegion region, string requestId)
    {
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, WriterSettings))
        {
            writer.WriteStartElement(action + "Response", service.XmlNamespace);
            if (service.IsEc2Dialect)
            {
                writer.WriteElementString("requestId", requestId);
                operation.Handler(parameters, region, writer);
            }
            else
            {
                if (operation.HasResult)
                {
                    writer.WriteStartElement(action + "Result");
                    operation.Handler(parameters, region, writer);
                    writer.WriteEndElement();
                }
                else
                {
                    operation.Handler(parameters, region, writer);
                }
                writer.WriteStartElement("ResponseMetadata");
                writer.WriteElementString("RequestId", requestId);
                writer.WriteEndElement();
            }
            writer.WriteEndElement();
        }
        return stream.ToArray();
    }

    private static byte[] RenderError(QueryService service, AwsFaultException fault, string requestId)
    {
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, WriterSettings))
        {
            if (service.IsEc2Dialect)
            {
                writer.WriteStartElement("Response");
                writer.WriteStartElement("Errors");
                writer.WriteStartElement("Error");
                writer.WriteElementString("Code", fault.Code);
                writer.WriteElementString("Message", fault.Message);
                writer.WriteEndElement();
                writer.WriteEndElement();
                writer.WriteElementString("RequestID", requestId);
                writer.WriteEndElement();
            }
            else
            {
                writer.WriteStartElement("ErrorResponse", service.XmlNamespace);
                writer.WriteStartElement("Error");
                writer.WriteElementString("Type", fault.SenderFault ? "Sender" : "Receiver");
                writer.WriteElementString("Code", fault.Code);
                writer.WriteElementString("Message", fault.Message);
                writer.WriteEndElement();
                writer.WriteElementString("RequestId", requestId);
                writer.WriteEndElement();
            }
        }
        return stream.ToArray();
    }
}
