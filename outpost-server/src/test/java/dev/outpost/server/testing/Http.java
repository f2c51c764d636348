package dev.outpost.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.core.wire.WireCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A tiny JDK HttpClient wrapper for tests against a server on loopback. */
public final class Http implements AutoCloseable {
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
  private final String base;

  public Http(String base) {
    this.base = base;
  }

  public record Response(int status, String body, HttpResponse<byte[]> raw) {
    public JsonNode json() {
      try {
        return WireCodec.mapper().readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + body, e);
      }
    }

    public String errorCode() {
      return json().path("error").path("code").asText();
    }
  }

  public Response send(String method, String path, String token, Map<String, String> headers, byte[] body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    headers.forEach(b::header);
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    try {
      HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Response(r.statusCode(), new String(r.body(), java.nio.charset.StandardCharsets.UTF_8), r);
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  public Response get(String path, String token) {
    return send("GET", path, token, Map.of(), null);
  }

  public Response post(String path, String token, String contentType, String encoding, byte[] body) {
    Map<String, String> h = new java.util.HashMap<>();
    if (contentType != null) {
      h.put("Content-Type", contentType);
    }
    if (encoding != null) {
      h.put("Content-Encoding", encoding);
    }
    return send("POST", path, token, h, body);
  }

  @Override
  public void close() {
    client.close();
  }
}
