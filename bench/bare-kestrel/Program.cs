var app = WebApplication.CreateSlimBuilder(args).Build();
app.MapPost("/alertmanager/webhook", async context =>
{
    await context.Request.Body.CopyToAsync(Stream.Null);
    context.Response.StatusCode = StatusCodes.Status202Accepted;
});
app.Run();
