package dev.outpost.edge.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.core.Batch;
import dev.outpost.core.BatchResult;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.wire.Protocol;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.core.wire.WireFormatException;
import dev.outpost.edge.sync.ErrorKind;
import dev.outpost.edge.sync.SendOutcome;
import dev.outpost.edge.sync.Transport;
import dev.outpost.edge.sync.TransportConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wire protocol v1 over HTTP/1.1 with the JDK {@link HttpClient}: {@code POST /v1/ingest},
 * {@code GET /healthz}, {@code PUT /v1/health}. Every answer is classified into a
 * {@link SendOutcome}; nothing throws for network or server trouble.
 *
 * <p>Thread-safe; one client (and its connection pool) per transport. Holds no records: a
 * failed request loses nothing, the caller still holds the lease.
 */
public final class HttpTransport implements Transport {
  private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);

  /** Binary results preferred; a server that only speaks JSON answers JSON and is read as such. */
  static final String RESULT_TYPES = WireCodec.BINARY + ", " + WireCodec.JSON + ";q=0.5";

  /** What the JDK client adds to every request: its User-Agent and the blank line. */
  private static final int CLIENT_HEADER_BYTES =
      ("User-Agent: Java-http-client/" + System.getProperty("java.version") + "\r\n\r\n").length();

  private final HttpClient client;
  private final URI ingest;
  private final URI healthz;
  private final URI health;
  private final String authorization;
  private final String contentType;
  /**
   * Set from the config; turns from zstd to gzip, once and for good, if zstd's native library
   * cannot load here (see {@link #encode}). A body is always sent with the value read after it
   * was encoded: a zstd body exists only if zstd works, and then this never changes.
   */
  private volatile ContentEncoding encoding;
  private final Duration requestTimeout;
  private final Clock clock;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong ingestRequests = new AtomicLong();
  private final AtomicLong ingestBodyBytes = new AtomicLong();
  private final AtomicLong ingestBytesSent = new AtomicLong();
  private volatile boolean serverChains;

  public HttpTransport(TransportConfig config, Clock clock) {
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(config.connectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    URI base = config.server();
    String root = base.toString().endsWith("/") ? base.toString() : base + "/";
    this.ingest = URI.create(root + Protocol.INGEST_PATH.substring(1));
    this.healthz = URI.create(root + Protocol.HEALTHZ_PATH.substring(1));
    this.health = URI.create(root + Protocol.HEALTH_PATH.substring(1));
    this.authorization = "Bearer " + config.deviceToken();
    this.contentType = config.contentType();
    this.encoding = config.contentEncoding();
    this.requestTimeout = config.requestTimeout();
    this.clock = clock;
  }

  /** Encodes and compresses the request body now; null (done again by send) if that fails. */
  @Override
  public Prepared prepare(Batch batch) {
    try {
      return new Prepared(batch, encode(batch));
    } catch (RuntimeException | LinkageError e) {
      return new Prepared(batch, null);
    }
  }

  private byte[] encode(Batch batch) {
    byte[] raw =
        WireCodec.BINARY.equals(contentType) ? WireCodec.encodeBinary(batch) : WireCodec.encodeJson(batch);
    ContentEncoding e = encoding;
    try {
      return e.encode(raw);
    } catch (LinkageError unavailable) {
      if (e != ContentEncoding.ZSTD) {
        throw unavailable;
      }
      // zstd-jni carries native code for the common platforms only (and loads it from a temp
      // dir, which may be noexec): rather than stop the uplink, send gzip, which every server
      // takes and the JDK does itself
      if (encoding == ContentEncoding.ZSTD) {
        encoding = ContentEncoding.GZIP;
        LOG.warn("zstd is not available on this platform ({}); uplink batches go gzip-compressed"
            + " instead (about 1.5x the bytes). Set sync.compression=gzip to say so and silence this.",
            unavailable.toString());
      }
      return ContentEncoding.GZIP.encode(raw);
    }
  }

  @Override
  public boolean chains() {
    return serverChains;
  }

  @Override
  public SendOutcome send(Prepared prepared, Chain chain) {
    byte[] body;
    try {
      body = prepared.body() != null ? prepared.body() : encode(prepared.batch());
    } catch (RuntimeException | LinkageError e) {
      // nothing went on the wire; the records stay in the outbox and are retried with backoff
      return new SendOutcome.Failed(ErrorKind.LOCAL, 0, "cannot encode a batch of "
          + prepared.batch().messages().size() + " records as " + contentType + " + " + encoding.headerValue()
          + ": " + e, null, Duration.ZERO);
    }
    HttpRequest.Builder req =
        HttpRequest.newBuilder(ingest)
            .timeout(requestTimeout)
            .header("Authorization", authorization)
            .header("Content-Type", contentType)
            .header("Accept", RESULT_TYPES)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (encoding != ContentEncoding.IDENTITY) {
      req.header("Content-Encoding", encoding.headerValue());
    }
    if (chain != null) {
      req.header(Protocol.BATCH_HEADER, chain.id());
      if (chain.after() != null) {
        req.header(Protocol.AFTER_HEADER, chain.after());
      }
    }
    HttpRequest request = req.build();
    ingestRequests.incrementAndGet();
    ingestBodyBytes.addAndGet(body.length);
    ingestBytesSent.addAndGet(body.length + headBytes(request, body.length));
    long start = System.nanoTime();
    HttpResponse<byte[]> resp;
    try {
      resp = exchange(request, body.length);
    } catch (IOException e) {
      return networkFailure(e, start);
    }
    Duration latency = Duration.ofNanos(System.nanoTime() - start);
    int status = resp.statusCode();
    if (status / 100 == 2) {
      // re-read on every answer: a server replaced by one without chaining turns it off again
      serverChains = resp.headers().firstValue(Protocol.CHAIN_HEADER).map("1"::equals).orElse(false);
      try {
        BatchResult result =
            WireCodec.decodeResult(resp.headers().firstValue("Content-Type").orElse(null), resp.body());
        return new SendOutcome.Answered(result, latency);
      } catch (WireFormatException e) {
        return new SendOutcome.Failed(
            ErrorKind.PROTOCOL, status, "unreadable ingest answer: " + e.getMessage(), null, latency);
      }
    }
    ErrorKind kind =
        switch (status) {
          case 401, 403 -> ErrorKind.AUTH;
          case 413 -> ErrorKind.TOO_LARGE;
          case 415 -> ErrorKind.UNSUPPORTED;
          case 400, 422 -> ErrorKind.BAD_REQUEST;
          case 429, 503 -> ErrorKind.THROTTLED;
          // only a chained request can be refused for its predecessor; any other 409 is odd
          case 409 -> chain != null && chain.after() != null ? ErrorKind.PREDECESSOR : ErrorKind.SERVER_ERROR;
          default -> ErrorKind.SERVER_ERROR;
        };
    Duration retryAfter =
        resp.headers().firstValue("Retry-After").map(this::parseRetryAfter).orElse(null);
    return new SendOutcome.Failed(kind, status, errorMessage(status, resp.body()), retryAfter, latency);
  }

  @Override
  public SendOutcome probe() {
    HttpRequest req =
        HttpRequest.newBuilder(healthz).timeout(requestTimeout.compareTo(Duration.ofSeconds(5)) < 0
            ? requestTimeout : Duration.ofSeconds(5)).GET().build();
    long start = System.nanoTime();
    try {
      HttpResponse<byte[]> resp = exchange(req, 0);
      Duration latency = Duration.ofNanos(System.nanoTime() - start);
      if (resp.statusCode() / 100 == 2) {
        return new SendOutcome.Answered(new BatchResult(java.util.List.of(), 0), latency);
      }
      int status = resp.statusCode();
      ErrorKind kind = status == 429 || status == 503 ? ErrorKind.THROTTLED : ErrorKind.SERVER_ERROR;
      return new SendOutcome.Failed(kind, status, errorMessage(status, resp.body()), null, latency);
    } catch (IOException e) {
      return networkFailure(e, start);
    }
  }

  @Override
  public boolean reportHealth(byte[] json) {
    HttpRequest req =
        HttpRequest.newBuilder(health)
            .timeout(requestTimeout)
            .header("Authorization", authorization)
            .header("Content-Type", WireCodec.JSON)
            .PUT(HttpRequest.BodyPublishers.ofByteArray(json))
            .build();
    try {
      return exchange(req, json.length).statusCode() / 100 == 2;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public Traffic traffic() {
    return new Traffic(requests.get(), bytesSent.get());
  }

  /** {@code POST /v1/ingest} requests made so far (retries included). */
  public long ingestRequests() {
    return ingestRequests.get();
  }

  /** Ingest request bodies as sent (encoded and compressed), in bytes, retries included. */
  public long ingestBodyBytes() {
    return ingestBodyBytes.get();
  }

  /** Ingest requests as sent: request line, headers and (compressed) bodies, retries included. */
  public long ingestBytesSent() {
    return ingestBytesSent.get();
  }

  @Override
  public void close() {
    client.shutdownNow();
  }

  private HttpResponse<byte[]> exchange(HttpRequest req, int bodyBytes) throws IOException {
    requests.incrementAndGet();
    bytesSent.addAndGet(bodyBytes + headBytes(req, bodyBytes));
    try {
      return client.send(req, HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + req.uri(), e);
    }
  }

  /** The request line and headers as they go on the wire (HTTP/1.1, ASCII). */
  static int headBytes(HttpRequest req, int bodyBytes) {
    String path = req.uri().getRawPath();
    int n = req.method().length() + 1 + path.length() + " HTTP/1.1\r\n".length();
    n += "Host: ".length() + req.uri().getRawAuthority().length() + 2;
    if (bodyBytes > 0 || !req.method().equals("GET")) {
      n += "Content-Length: ".length() + Integer.toString(bodyBytes).length() + 2;
    }
    for (var h : req.headers().map().entrySet()) {
      for (String v : h.getValue()) {
        n += h.getKey().length() + 2 + v.length() + 2;
      }
    }
    return n + CLIENT_HEADER_BYTES;
  }

  private SendOutcome networkFailure(IOException e, long startNanos) {
    Duration latency = Duration.ofNanos(System.nanoTime() - startNanos);
    ErrorKind kind = e instanceof HttpTimeoutException ? ErrorKind.TIMEOUT : ErrorKind.NETWORK;
    String what =
        e instanceof ConnectException ? "cannot connect to " + ingest.getAuthority()
            : kind == ErrorKind.TIMEOUT ? "no answer from " + ingest.getAuthority() + " within " + requestTimeout
            : "connection to " + ingest.getAuthority() + " failed";
    String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new SendOutcome.Failed(kind, 0, what + ": " + detail, null, latency);
  }

  /** Retry-After is delta-seconds or an HTTP date; anything unreadable is ignored. */
  Duration parseRetryAfter(String value) {
    String v = value.trim();
    try {
      long seconds = Long.parseLong(v);
      return seconds < 0 ? null : Duration.ofSeconds(seconds);
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(clock.instant(), at.toInstant());
        return d.isNegative() ? Duration.ZERO : d;
      } catch (DateTimeParseException notADate) {
        return null;
      }
    }
  }

  /** The server's {@code {"error":{"code","message"}}}, or the start of whatever it sent. */
  private static String errorMessage(int status, byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8);
    try {
      JsonNode err = WireCodec.mapper().readTree(body).path("error");
      if (err.hasNonNull("message")) {
        String code = err.path("code").asText("");
        return "HTTP " + status + (code.isEmpty() ? "" : " " + code) + ": " + err.get("message").asText();
      }
    } catch (IOException | RuntimeException notJson) {
      // fall through to the raw text
    }
    return "HTTP " + status + (text.isBlank() ? "" : ": " + text.substring(0, Math.min(200, text.length())));
  }
}
