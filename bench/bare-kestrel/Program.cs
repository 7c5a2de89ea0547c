using System.Text.Json;

// Two floors for the webhook benchmark: the bare endpoint reads the body and answers 202; the tokenizing one also runs
// System.Text.Json's reader over every token of it, as any receiver that reads the alerts must at least do.
var app = WebApplication.CreateSlimBuilder(args).Build();
app.MapPost("/alertmanager/webhook", async context =>
{
    await context.Request.Body.CopyToAsync(Stream.Null);
    context.Response.StatusCode = StatusCodes.Status202Accepted;
});
app.MapPost("/alertmanager/webhook-tokenized", async context =>
{
    var pipe = context.Request.BodyReader;
    var read = await pipe.ReadAsync();
    while (!read.IsCompleted)
    {
        pipe.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        read = await pipe.ReadAsync();
    }
    var tokens = Tokens(read);
    pipe.AdvanceTo(read.Buffer.End);
    context.Response.StatusCode = tokens > 0 ? StatusCodes.Status202Accepted : StatusCodes.Status400BadRequest;
});
app.Run();

static int Tokens(System.IO.Pipelines.ReadResult read)
{
    var reader = new Utf8JsonReader(read.Buffer);
    var tokens = 0;
    while (reader.Read()) tokens++;
    return tokens;
}
