package dev.outpost.edge.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.core.sync.PullPage;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.edge.sync.ChangeFeed;
import dev.outpost.edge.sync.TransportConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * {@code GET /v1/sync/pull} with the JDK {@link HttpClient}: binary pages, zstd-compressed, the
 * device's token. A page that inflates past {@value #MAX_PAGE_BYTES} bytes, or does not decode,
 * is an {@link IOException} (the next pull asks again). Thread-safe.
 */
public final class HttpChangeFeed implements ChangeFeed {
  static final int MAX_PAGE_BYTES = 256 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client;
  private final String pull;
  private final String authorization;
  private final Duration requestTimeout;

  public HttpChangeFeed(TransportConfig config) {
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(config.connectTimeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    String root = config.server().toString().endsWith("/") ? config.server().toString() : config.server() + "/";
    this.pull = root + "v1/sync/pull";
    this.authorization = "Bearer " + config.deviceToken();
    this.requestTimeout = config.requestTimeout();
  }

  @Override
  public PullPage pull(String cursor, int limit, Duration wait) throws IOException {
    long waitSeconds = Math.max(0, Math.min(30, wait.toSeconds()));
    String uri = pull + "?limit=" + limit + "&wait=" + waitSeconds
        + (cursor == null || cursor.isEmpty() ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.US_ASCII));
    HttpRequest request = HttpRequest.newBuilder(URI.create(uri))
        .timeout(requestTimeout.plusSeconds(waitSeconds))
        .header("Authorization", authorization)
        .header("Accept", PullPage.BINARY)
        .header("Accept-Encoding", "zstd")
        .GET()
        .build();
    HttpResponse<byte[]> r;
    try {
      r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while pulling", e);
    }
    if (r.statusCode() == 200) {
      byte[] body = r.body();
      try {
        if (r.headers().firstValue("Content-Encoding").map("zstd"::equalsIgnoreCase).orElse(false)) {
          body = ContentEncoding.ZSTD.decode(body, MAX_PAGE_BYTES);
        }
        return r.headers().firstValue("Content-Type").map(t -> t.startsWith(PullPage.BINARY)).orElse(false)
            ? PullPage.decodeBinary(body) : PullPage.decodeJson(body);
      } catch (RuntimeException e) {
        throw new IOException("the server's pull page could not be read: " + e.getMessage(), e);
      }
    }
    String code = "http_" + r.statusCode();
    String message = new String(r.body(), StandardCharsets.UTF_8);
    try {
      JsonNode error = JSON.readTree(r.body()).path("error");
      if (error.isObject()) {
        code = error.path("code").asText(code);
        message = error.path("message").asText(message);
      }
    } catch (IOException | RuntimeException e) {
      // not our error JSON (a proxy's page): keep the raw text
    }
    if (r.statusCode() >= 400 && r.statusCode() < 500 && r.statusCode() != 408 && r.statusCode() != 429) {
      throw new Refused(r.statusCode(), code, "the server refused the pull (" + r.statusCode() + " " + code + "): " + message);
    }
    throw new IOException("the server answered the pull with " + r.statusCode() + " " + code + ": " + message);
  }

  @Override
  public void close() {
    client.close();
  }
}
