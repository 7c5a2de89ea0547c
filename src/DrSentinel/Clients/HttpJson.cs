using System.Net.Http.Headers;
using System.Text.Json;

namespace DrSentinel.Clients;

/// <summary>A GET of a JSON answer from Prometheus's or Alertmanager's HTTP API.</summary>
public static class HttpJson
{
    /// <summary>
    /// GETs <paramref name="url"/> and parses its body; with <paramref name="bearerTokenFile"/>, the token is read from the
    /// file on each call, so a rotated Secret is used at once. A status other than 2xx is an <see cref="HttpRequestException"/>.
    /// </summary>
    public static async Task<JsonDocument> GetAsync(HttpClient http, Uri url, string? bearerTokenFile, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (bearerTokenFile is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(bearerTokenFile, cancel).ConfigureAwait(false)).Trim());
        using var response = await http.SendAsync(request, cancel).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{url} answered {(int)response.StatusCode}");
        await using var body = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
        return await JsonDocument.ParseAsync(body, cancellationToken: cancel).ConfigureAwait(false);
    }
}
