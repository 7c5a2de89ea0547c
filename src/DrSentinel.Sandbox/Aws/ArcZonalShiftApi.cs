using System.Text.Json;
using DrSentinel.Sandbox.Region;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DrSentinel.Sandbox.Aws;

/// <summary>
/// ARC zonal shift (2022-10-30) over its REST-JSON protocol: the operation is the method and path, the input JSON and
/// URI labels, errors an x-amzn-ErrorType header with a JSON body, timestamps epoch seconds. Signed with SigV4 for the
/// signing name arc-zonal-shift, like every other sandbox service.
/// </summary>
public static class ArcZonalShiftApi
{
    public const string SigningName = "arc-zonal-shift";

    private static readonly Dictionary<string, ErrorShape> Errors = new(StringComparer.Ordinal)
    {
        ["ValidationException"] = new(400),
        ["ConflictException"] = new(409),
        ["ResourceNotFoundException"] = new(404),
        ["AccessDeniedException"] = new(403),
        ["ThrottlingException"] = new(429),
        ["InternalServerException"] = new(500, SenderFault: false),
    };

    public static IEndpointRouteBuilder MapArcZonalShift(this IEndpointRouteBuilder app, SandboxRegion region, SigV4Verifier verifier)
    {
        app.MapPost("/zonalshifts", (HttpContext c) => HandleAsync(c, region, verifier, "StartZonalShift", 201, (r, body) =>
            Shift(r.StartZonalShift(Required(body, "resourceIdentifier"), Required(body, "awayFrom"), Required(body, "expiresIn"), Required(body, "comment")), r.Now)));
        app.MapGet("/zonalshifts", (HttpContext c) => HandleAsync(c, region, verifier, "ListZonalShifts", 200, (r, _) =>
        {
            var status = c.Request.Query["status"].ToString();
            if (status.Length > 0 && status is not ("ACTIVE" or "EXPIRED" or "CANCELED"))
                throw SandboxRegion.ZonalShiftValidation("InvalidStatus", $"status {status} must be ACTIVE, EXPIRED or CANCELED.");
            return w =>
            {
                w.WriteStartArray("items");
                foreach (var shift in r.ZonalShifts.Where(s => s.ShiftType != "ZONAL_AUTOSHIFT" && (status.Length == 0 || s.Status(r.Now) == status)))
                    WriteShift(w, shift, r.Now, "status");
                w.WriteEndArray();
            };
        }));
        app.MapMethods("/zonalshifts/{zonalShiftId}", ["PATCH"], (HttpContext c, string zonalShiftId) => HandleAsync(c, region, verifier, "UpdateZonalShift", 200,
            (r, body) => Shift(r.UpdateZonalShift(zonalShiftId, Optional(body, "comment"), Optional(body, "expiresIn")), r.Now)));
        app.MapDelete("/zonalshifts/{zonalShiftId}", (HttpContext c, string zonalShiftId) => HandleAsync(c, region, verifier, "CancelZonalShift", 200,
            (r, _) => Shift(r.CancelZonalShift(zonalShiftId), r.Now)));
        app.MapGet("/managedresources", (HttpContext c) => HandleAsync(c, region, verifier, "ListManagedResources", 200, (r, _) => w =>
        {
            w.WriteStartArray("items");
            foreach (var resource in r.ManagedResources)
            {
                w.WriteStartObject();
                w.WriteString("arn", resource.Arn);
                w.WriteString("name", resource.Name);
                w.WriteStartArray("availabilityZones");
                foreach (var zone in resource.AvailabilityZones) w.WriteStringValue(zone);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }));
        app.MapGet("/managedresources/{resourceIdentifier}", (HttpContext c, string resourceIdentifier) => HandleAsync(c, region, verifier, "GetManagedResource", 200,
            (r, _) =>
            {
                // Kestrel leaves an encoded slash encoded in a route value; an ARN names its resource type with one.
                var resource = r.RequireManagedResource(Uri.UnescapeDataString(resourceIdentifier));
                var weights = r.AppliedWeights(resource);
                var now = r.Now;
                return w =>
                {
                    w.WriteStartObject("appliedWeights");
                    foreach (var (zone, weight) in weights) w.WriteNumber(zone, weight);
                    w.WriteEndObject();
                    w.WriteString("arn", resource.Arn);
                    w.WriteString("name", resource.Name);
                    var applied = r.AppliedShift(resource.Arn);
                    var active = r.ZonalShifts.Where(s => s.ResourceIdentifier == resource.Arn && s.Status(now) == "ACTIVE").ToList();
                    w.WriteStartArray("zonalShifts");
                    foreach (var shift in active.Where(s => s.ShiftType != "ZONAL_AUTOSHIFT"))
                    {
                        w.WriteStartObject();
                        WriteMembers(w, shift, now, null);
                        w.WriteString("appliedStatus", shift == applied ? "APPLIED" : "NOT_APPLIED");
                        w.WriteString("shiftType", shift.ShiftType);
                        if (shift.PracticeRunOutcome is { } outcome) w.WriteString("practiceRunOutcome", outcome);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    // AutoshiftInResource: appliedStatus, awayFrom and startTime only.
                    w.WriteStartArray("autoshifts");
                    foreach (var shift in active.Where(s => s.ShiftType == "ZONAL_AUTOSHIFT"))
                    {
                        w.WriteStartObject();
                        w.WriteString("appliedStatus", shift == applied ? "APPLIED" : "NOT_APPLIED");
                        w.WriteString("awayFrom", shift.AwayFrom);
                        w.WriteNumber("startTime", shift.StartTime.ToUnixTimeMilliseconds() / 1000.0);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                };
            }));
        return app;
    }

    private static Action<Utf8JsonWriter> Shift(ZonalShift shift, DateTimeOffset now) => w => WriteMembers(w, shift, now, "status");

    private static void WriteShift(Utf8JsonWriter w, ZonalShift shift, DateTimeOffset now, string statusMember)
    {
        w.WriteStartObject();
        WriteMembers(w, shift, now, statusMember);
        w.WriteString("shiftType", shift.ShiftType);
        if (shift.PracticeRunOutcome is { } outcome) w.WriteString("practiceRunOutcome", outcome);
        w.WriteEndObject();
    }

    /// <summary>A ZonalShift (with its status); <paramref name="statusMember"/> null: inside a resource, whose appliedStatus the caller writes.</summary>
    private static void WriteMembers(Utf8JsonWriter w, ZonalShift shift, DateTimeOffset now, string? statusMember)
    {
        w.WriteString("zonalShiftId", shift.Id);
        w.WriteString("resourceIdentifier", shift.ResourceIdentifier);
        w.WriteString("awayFrom", shift.AwayFrom);
        w.WriteString("comment", shift.Comment);
        w.WriteNumber("startTime", shift.StartTime.ToUnixTimeMilliseconds() / 1000.0);
        w.WriteNumber("expiryTime", shift.ExpiryTime.ToUnixTimeMilliseconds() / 1000.0);
        if (statusMember is not null) w.WriteString(statusMember, shift.Status(now));
    }

    private static async Task HandleAsync(HttpContext context, SandboxRegion region, SigV4Verifier verifier, string operation, int status,
        Func<SandboxRegion, JsonElement, Action<Utf8JsonWriter>> handler)
    {
        var requestId = Guid.NewGuid().ToString();
        context.Response.Headers["x-amzn-RequestId"] = requestId;
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        try
        {
            var identity = verifier.Verify(context.Request, body, "UnrecognizedClientException", "InvalidSignatureException");
            if (identity.Service != SigningName)
                throw new AwsFaultException("InvalidSignatureException", $"Credential should be scoped to correct service: '{SigningName}'.", 403);
            var fault = region.Read(r =>
            {
                r.CountCall(SigningName, operation);
                return r.MatchFault(SigningName, operation);
            });
            if (fault is not null)
            {
                if (fault.AddedLatency > TimeSpan.Zero) await Task.Delay(fault.AddedLatency, context.RequestAborted);
                if (fault.ErrorCode is not null)
                {
                    var shape = Errors.GetValueOrDefault(fault.ErrorCode) ?? new ErrorShape(400);
                    throw new AwsFaultException(fault.ErrorCode, $"Injected fault: {fault.ErrorCode}", shape.HttpStatus, shape.SenderFault);
                }
            }
            JsonElement input;
            try
            {
                input = body.Length == 0 ? default : JsonDocument.Parse(body).RootElement;
            }
            catch (JsonException e)
            {
                throw SandboxRegion.ZonalShiftValidation("MissingValue", $"The request body is not JSON: {e.Message}");
            }
            if (body.Length > 0 && input.ValueKind != JsonValueKind.Object) throw SandboxRegion.ZonalShiftValidation("MissingValue", "The request body must be a JSON object.");
            byte[] json = [];
            region.Write(r => json = Render(handler(r, input)));
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(json, context.RequestAborted);
        }
        catch (AwsFaultException fault)
        {
            context.Response.StatusCode = fault.HttpStatus;
            context.Response.ContentType = "application/json";
            context.Response.Headers["x-amzn-ErrorType"] = fault.Code;
            await context.Response.Body.WriteAsync(Render(w =>
            {
                w.WriteString("message", fault.Message);
                foreach (var (name, value) in fault.Details) w.WriteString(name, value);
            }), context.RequestAborted);
        }
    }

    private static byte[] Render(Action<Utf8JsonWriter> members)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    private static string Required(JsonElement body, string name) =>
        Optional(body, name) ?? throw SandboxRegion.ZonalShiftValidation("MissingValue", $"{name} is required.");

    private static string? Optional(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw SandboxRegion.ZonalShiftValidation("MissingValue", $"{name} must be a string.")
            : null;
}
