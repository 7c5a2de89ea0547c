using DrSentinel.Alerting;
using Microsoft.Extensions.Configuration;

namespace DrSentinel.Tests.Alerting;

public sealed class ListenAddressesTests
{
    private static IReadOnlyList<string> Open(params (string Key, string Value)[] settings) =>
        ListenAddresses.NotLoopback(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Theory]
    [InlineData("http://127.0.0.1:9464")]
    [InlineData("http://localhost:9464")]
    [InlineData("http://[::1]:9464")]
    [InlineData("http://127.0.0.1:9464;http://localhost:9465")]
    public void LoopbackOnly_NothingOpen(string urls) => Assert.Empty(Open(("urls", urls)));

    [Theory]
    [InlineData("http://+:9464")]
    [InlineData("http://*:9464")]
    [InlineData("http://0.0.0.0:9464")]
    [InlineData("http://[::]:9464")]
    [InlineData("http://10.0.3.7:9464")]
    [InlineData("http://drsentinel.example:9464")]
    public void AnyOtherAddress_Open(string url) => Assert.Equal([url], Open(("urls", "http://127.0.0.1:1;" + url)));

    [Fact]
    public void KestrelEndpointOrPortsOnly_Open()
    {
        Assert.Single(Open(("Kestrel:Endpoints:Web:Url", "http://0.0.0.0:8080")));
        Assert.Single(Open(("http_ports", "8080")));
    }

    [Fact]
    public void NothingConfigured_TheLocalhostDefault() => Assert.Empty(Open());
}
