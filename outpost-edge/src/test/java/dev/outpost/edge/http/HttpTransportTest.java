package dev.outpost.edge.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.outpost.core.Batch;
import dev.outpost.core.BatchResult;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.RecordResult;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.edge.sync.ErrorKind;
import dev.outpost.edge.sync.SendOutcome;
import dev.outpost.edge.sync.SyncConfig;
import dev.outpost.edge.sync.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Classification of real HTTP answers; the far end is a JDK HttpServer on loopback. */
class HttpTransportTest {
  private HttpServer server;
  private final AtomicReference<Answer> answer = new AtomicReference<>();
  private final AtomicReference<HttpExchange> lastExchange = new AtomicReference<>();
  private final AtomicReference<byte[]> lastBody = new AtomicReference<>();
  private final CountDownLatch neverAnswer = new CountDownLatch(1);

  record Answer(int status, String body, Map<String, String> headers) {}

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", ex -> {
      lastExchange.set(ex);
      lastBody.set(ex.getRequestBody().readAllBytes());
      Answer a = answer.get();
      if (a == null) {
        try {
          neverAnswer.await(); // a black hole
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return;
      }
      a.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
      byte[] b = a.body().getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(a.status(), b.length == 0 ? -1 : b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    neverAnswer.countDown();
    server.stop(0);
  }

  private HttpTransport transport(int port) {
    SyncConfig c = SyncConfig.builder(URI.create("http://127.0.0.1:" + port), "dev-1", "tok-1")
        .requestTimeout(Duration.ofMillis(500))
        .connectTimeout(Duration.ofMillis(500))
        .leaseTimeout(Duration.ofSeconds(5))
        .build();
    return new HttpTransport(c.transport(), Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));
  }

  private static Batch batch() {
    return new Batch("dev-1", 42, List.of(
        new Message(1, "t", Priority.HIGH, 1000, Map.of(), "a".getBytes(StandardCharsets.UTF_8)),
        new Message(2, "t", Priority.HIGH, 1001, Map.of(), "b".getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void sendsBinaryZstdWithTheTokenAndReadsPerRecordResults() {
    String results = new String(WireCodec.encodeResult(new BatchResult(
        List.of(RecordResult.stored(1), RecordResult.rejected(2, "payload is not JSON")), 5)),
        StandardCharsets.UTF_8);
    answer.set(new Answer(200, results, Map.of("Content-Type", "application/json")));
    try (HttpTransport t = transport(server.getAddress().getPort())) {
      SendOutcome o = t.send(t.prepare(batch()), null);
      assertThat(o).isInstanceOf(SendOutcome.Answered.class);
      assertThat(((SendOutcome.Answered) o).result().results())
          .containsExactly(RecordResult.stored(1), RecordResult.rejected(2, "payload is not JSON"));
      HttpExchange ex = lastExchange.get();
      assertThat(ex.getRequestURI().getPath()).isEqualTo("/v1/ingest");
      assertThat(ex.getRequestHeaders().getFirst("Authorization")).isEqualTo("Bearer tok-1");
      assertThat(ex.getRequestHeaders().getFirst("Content-Type")).isEqualTo(WireCodec.BINARY);
      assertThat(ex.getRequestHeaders().getFirst("Content-Encoding")).isEqualTo("zstd");
      byte[] raw = ContentEncoding.ZSTD.decode(lastBody.get(), 1 << 20);
      assertThat(WireCodec.decodeBatch(WireCodec.BINARY, raw)).isEqualTo(batch());
      assertThat(t.traffic().requests()).isEqualTo(1);
      assertThat(t.traffic().bytesSent()).isGreaterThan(lastBody.get().length);
    }
  }

  @Test
  void classifiesErrorStatuses() {
    try (HttpTransport t = transport(server.getAddress().getPort())) {
      assertThat(failed(t, 401, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"unknown token\"}}", Map.of()))
          .satisfies(f -> {
            assertThat(f.kind()).isEqualTo(ErrorKind.AUTH);
            assertThat(f.message()).isEqualTo("HTTP 401 unauthorized: unknown token");
          });
      assertThat(failed(t, 403, "", Map.of()).kind()).isEqualTo(ErrorKind.AUTH);
      assertThat(failed(t, 413, "", Map.of()).kind()).isEqualTo(ErrorKind.TOO_LARGE);
      assertThat(failed(t, 415, "", Map.of()).kind()).isEqualTo(ErrorKind.UNSUPPORTED);
      assertThat(failed(t, 400, "bad", Map.of()).kind()).isEqualTo(ErrorKind.BAD_REQUEST);
      assertThat(failed(t, 422, "bad", Map.of()).kind()).isEqualTo(ErrorKind.BAD_REQUEST);
      assertThat(failed(t, 500, "oops", Map.of()).kind()).isEqualTo(ErrorKind.SERVER_ERROR);
      SendOutcome.Failed throttled = failed(t, 429, "", Map.of("Retry-After", "7"));
      assertThat(throttled.kind()).isEqualTo(ErrorKind.THROTTLED);
      assertThat(throttled.retryAfter()).isEqualTo(Duration.ofSeconds(7));
      SendOutcome.Failed busy = failed(t, 503, "", Map.of("Retry-After", "Thu, 01 Jan 2026 00:00:30 GMT"));
      assertThat(busy.kind()).isEqualTo(ErrorKind.THROTTLED);
      assertThat(busy.retryAfter()).isEqualTo(Duration.ofSeconds(30));
      assertThat(failed(t, 200, "not json", Map.of()).kind()).isEqualTo(ErrorKind.PROTOCOL);
    }
  }

  @Test
  void namesChainedBatchesAndChainsOnlyWhileTheServerSaysItOrdersThem() {
    String ok = new String(WireCodec.encodeResult(new BatchResult(
        List.of(RecordResult.stored(1), RecordResult.stored(2)), 5)), StandardCharsets.UTF_8);
    try (HttpTransport t = transport(server.getAddress().getPort())) {
      assertThat(t.chains()).as("nothing heard from the server yet").isFalse();
      answer.set(new Answer(200, ok, Map.of("Content-Type", "application/json", "Outpost-Chain", "1")));
      assertThat(t.send(t.prepare(batch()), new Transport.Chain("run1.1", null)))
          .isInstanceOf(SendOutcome.Answered.class);
      assertThat(t.chains()).isTrue();
      assertThat(lastExchange.get().getRequestHeaders().getFirst("Outpost-Batch")).isEqualTo("run1.1");
      assertThat(lastExchange.get().getRequestHeaders().containsKey("Outpost-After")).isFalse();

      t.send(t.prepare(batch()), new Transport.Chain("run1.2", "run1.1"));
      assertThat(lastExchange.get().getRequestHeaders().getFirst("Outpost-After")).isEqualTo("run1.1");

      // a server that no longer advertises chaining (replaced by one without it) turns it off
      answer.set(new Answer(200, ok, Map.of("Content-Type", "application/json")));
      t.send(t.prepare(batch()), null);
      assertThat(t.chains()).isFalse();
    }
  }

  @Test
  void a409IsARefusedPredecessorOnlyForAChainedBatch() {
    String body = "{\"error\":{\"code\":\"predecessor_not_stored\",\"message\":\"batch 'run1.1' was not stored\"}}";
    answer.set(new Answer(409, body, Map.of()));
    try (HttpTransport t = transport(server.getAddress().getPort())) {
      assertThat(t.send(t.prepare(batch()), new Transport.Chain("run1.2", "run1.1")))
          .isInstanceOfSatisfying(SendOutcome.Failed.class, f -> {
            assertThat(f.kind()).isEqualTo(ErrorKind.PREDECESSOR);
            assertThat(f.message()).contains("predecessor_not_stored");
          });
      // a 409 for an unchained batch can only be something else (a proxy?): a server error, backed off
      assertThat(failed(t, 409, body, Map.of()).kind()).isEqualTo(ErrorKind.SERVER_ERROR);
    }
  }

  private SendOutcome.Failed failed(HttpTransport t, int status, String body, Map<String, String> headers) {
    answer.set(new Answer(status, body, headers));
    SendOutcome o = t.send(t.prepare(batch()), null);
    assertThat(o).isInstanceOf(SendOutcome.Failed.class);
    SendOutcome.Failed f = (SendOutcome.Failed) o;
    assertThat(f.status()).isEqualTo(status);
    return f;
  }

  @Test
  void aRefusedConnectionIsANetworkFailure() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    try (HttpTransport t = transport(closedPort)) {
      SendOutcome o = t.send(t.prepare(batch()), null);
      assertThat(o).isInstanceOfSatisfying(SendOutcome.Failed.class, f -> {
        assertThat(f.kind()).isEqualTo(ErrorKind.NETWORK);
        assertThat(f.message()).contains("127.0.0.1:" + closedPort);
      });
      assertThat(t.probe()).isInstanceOf(SendOutcome.Failed.class);
    }
  }

  @Test
  void noAnswerWithinTheRequestTimeoutIsATimeout() {
    answer.set(null);
    try (HttpTransport t = transport(server.getAddress().getPort())) {
      SendOutcome o = t.send(t.prepare(batch()), null);
      assertThat(o).isInstanceOfSatisfying(SendOutcome.Failed.class,
          f -> assertThat(f.kind()).isEqualTo(ErrorKind.TIMEOUT));
    }
  }

  @Test
  void countsTheBytesThatReallyGoOnTheWire() throws Exception {
    try (ServerSocket raw = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        HttpTransport t = transport(raw.getLocalPort())) {
      var far = Executors.newVirtualThreadPerTaskExecutor().submit(() -> {
        try (var s = raw.accept()) {
          var in = s.getInputStream();
          java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
          while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            head.write(in.read());
          }
          String h = head.toString(StandardCharsets.ISO_8859_1);
          int length = Integer.parseInt(h.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
          in.readNBytes(length);
          byte[] answer = "{\"results\":[],\"serverTime\":1}".getBytes(StandardCharsets.UTF_8);
          s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + answer.length
              + "\r\nContent-Type: application/json\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
          s.getOutputStream().write(answer);
          s.getOutputStream().flush();
          return head.size() + length;
        }
      });
      assertThat(t.send(t.prepare(batch()), null)).isInstanceOf(SendOutcome.Answered.class);
      assertThat(t.ingestBytesSent()).isEqualTo(far.get().longValue());
      assertThat(t.traffic().bytesSent()).isEqualTo(far.get().longValue());
      assertThat(t.ingestRequests()).isEqualTo(1);
    }
  }

  @Test
  void probeAndHealthReport() {
    answer.set(new Answer(200, "{\"status\":\"ok\"}", Map.of()));
    try (HttpTransport t = transport(server.getAddress().getPort())) {
      assertThat(t.probe()).isInstanceOf(SendOutcome.Answered.class);
      assertThat(lastExchange.get().getRequestURI().getPath()).isEqualTo("/healthz");
      assertThat(t.reportHealth("{\"link\":\"ONLINE\"}".getBytes(StandardCharsets.UTF_8))).isTrue();
      assertThat(lastExchange.get().getRequestMethod()).isEqualTo("PUT");
      assertThat(lastExchange.get().getRequestURI().getPath()).isEqualTo("/v1/health");
      answer.set(new Answer(503, "", Map.of()));
      assertThat(t.probe()).isInstanceOf(SendOutcome.Failed.class);
    }
  }
}
