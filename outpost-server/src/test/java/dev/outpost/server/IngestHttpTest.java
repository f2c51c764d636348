package dev.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.core.Batch;
import dev.outpost.core.BatchResult;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.RecordResult;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.testing.Batches;
import dev.outpost.server.testing.Http;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API over real loopback HTTP against the default (SQLite) store. */
class IngestHttpTest {
  static final String ADMIN = "admin-secret";
  @TempDir Path dir;
  OutpostServer server;
  Http http;
  String token;

  /** The store under test: SQLite here, PostgreSQL in {@link PostgresIngestHttpTest}. */
  ServerConfig.Builder store() {
    return ServerConfig.builder().dataDir(dir);
  }

  @BeforeEach
  void start() {
    server = OutpostServer.start(store().port(0).adminToken(ADMIN)
        .maxBatchRecords(500).maxPayloadBytes(1000).maxBodyBytes(200_000).maxInflatedBytes(1_000_000).build());
    http = new Http(server.url());
    token = server.devices().add("dev-1");
  }

  @AfterEach
  void stop() {
    http.close();
    server.close();
  }

  Http.Response ingestJson(String tok, Batch b) {
    return http.post("/v1/ingest", tok, WireCodec.JSON, null, WireCodec.encodeJson(b));
  }

  static List<RecordResult> results(Http.Response r) {
    assertThat(r.status()).as("%s %s", r.body(), r.raw().headers().map()).isEqualTo(200);
    return WireCodec.decodeResult(r.body().getBytes(StandardCharsets.UTF_8)).results();
  }

  @Test
  void storesOnceAndAnswersDuplicatesOnRetry() {
    Batch b = Batches.batch("dev-1", 11, 1, 20);
    assertThat(results(ingestJson(token, b))).allMatch(r -> r.status() == RecordResult.Status.STORED);
    assertThat(results(ingestJson(token, b))).allMatch(r -> r.status() == RecordResult.Status.DUPLICATE);
    JsonNode page = http.get("/v1/messages?after=0&limit=100", ADMIN).json();
    assertThat(page.get("messages")).hasSize(20);
    assertThat(page.get("next").asLong()).isEqualTo(page.get("messages").get(19).get("serverSeq").asLong());
  }

  @Test
  void acceptsBinaryGzipAndZstdBodies() {
    long seq = 1;
    for (String ct : List.of(WireCodec.JSON, WireCodec.BINARY)) {
      for (ContentEncoding enc : ContentEncoding.values()) {
        Batch b = Batches.batch("dev-1", 3, seq, 10);
        seq += 10;
        byte[] body = enc.encode(ct.equals(WireCodec.JSON) ? WireCodec.encodeJson(b) : WireCodec.encodeBinary(b));
        Http.Response r = http.post("/v1/ingest", token, ct, enc.headerValue(), body);
        assertThat(results(r)).as(ct + " " + enc).hasSize(10).allMatch(RecordResult::delivered);
      }
    }
    assertThat(server.store().page(0, 1000, null, null)).hasSize(60);
  }

  @Test
  void readBackShowsEveryFieldAndPagesWithFilters() {
    Message binary = new Message(1, "bin", Priority.CRITICAL, 5, Map.of("a", "b"), new byte[] {(byte) 0xff, 0, 1});
    Message text = new Message(2, "txt", Priority.LOW, 6, Map.of(), "héllo".getBytes(StandardCharsets.UTF_8));
    results(ingestJson(token, new Batch("dev-1", 99, List.of(binary, text))));
    JsonNode ms = http.get("/v1/messages", ADMIN).json().get("messages");
    assertThat(ms.get(0).get("device").asText()).isEqualTo("dev-1");
    assertThat(ms.get(0).get("epoch").asLong()).isEqualTo(99);
    assertThat(ms.get(0).get("priority").asText()).isEqualTo("CRITICAL");
    assertThat(ms.get(0).get("headers").get("a").asText()).isEqualTo("b");
    assertThat(ms.get(0).get("payload64").asText()).isEqualTo("/wAB");
    assertThat(ms.get(0).get("receivedAt").asLong()).isPositive();
    assertThat(ms.get(1).get("payload").asText()).isEqualTo("héllo");
    long first = ms.get(0).get("serverSeq").asLong();
    JsonNode after = http.get("/v1/messages?after=" + first + "&limit=1", ADMIN).json();
    assertThat(after.get("messages")).hasSize(1);
    assertThat(after.get("messages").get(0).get("topic").asText()).isEqualTo("txt");
    assertThat(http.get("/v1/messages?topic=bin", ADMIN).json().get("messages")).hasSize(1);
    assertThat(http.get("/v1/messages?device=other", ADMIN).json().get("messages")).isEmpty();
    JsonNode empty = http.get("/v1/messages?after=1000", ADMIN).json();
    assertThat(empty.get("next").asLong()).isEqualTo(1000);
    assertThat(http.get("/v1/messages?limit=0", ADMIN).errorCode()).isEqualTo("bad_parameter");
    assertThat(http.get("/v1/messages?limit=10001", ADMIN).status()).isEqualTo(400);
    assertThat(http.get("/v1/messages?after=x", ADMIN).status()).isEqualTo(400);
  }

  @Test
  void tokensGuardEveryWrite() {
    Batch b = Batches.batch("dev-1", 1, 1, 3);
    assertThat(ingestJson(null, b).status()).isEqualTo(401);
    assertThat(ingestJson("opd_wrong", b).status()).isEqualTo(401);
    assertThat(ingestJson(ADMIN, b).status()).isEqualTo(401);
    String other = server.devices().add("dev-2");
    Http.Response forged = ingestJson(other, b);
    assertThat(forged.status()).isEqualTo(403);
    assertThat(forged.errorCode()).isEqualTo("wrong_device");
    assertThat(server.store().page(0, 100, null, null)).isEmpty();
    server.devices().revoke("dev-1");
    Http.Response revoked = ingestJson(token, b);
    assertThat(revoked.status()).isEqualTo(401);
    assertThat(revoked.errorCode()).isEqualTo("unauthorized");
    assertThat(http.get("/v1/messages", null).status()).isEqualTo(401);
    assertThat(http.get("/v1/messages", other).status()).isEqualTo(401);
    assertThat(http.get("/v1/devices", "nope").status()).isEqualTo(401);
  }

  @Test
  void limitsAnswerWithClearCodes() {
    Http.Response tooMany = ingestJson(token, Batches.batch("dev-1", 1, 1, 501));
    assertThat(tooMany.status()).isEqualTo(413);
    assertThat(tooMany.errorCode()).isEqualTo("too_many_records");
    Http.Response big = http.post("/v1/ingest", token, WireCodec.JSON, null, new byte[200_001]);
    assertThat(big.status()).isEqualTo(413);
    assertThat(big.errorCode()).isEqualTo("body_too_large");
    byte[] bomb = ContentEncoding.GZIP.encode(new byte[5_000_000]);
    Http.Response inflated = http.post("/v1/ingest", token, WireCodec.JSON, "gzip", bomb);
    assertThat(inflated.status()).isEqualTo(413);
    Http.Response enc = http.post("/v1/ingest", token, WireCodec.JSON, "br", new byte[] {1});
    assertThat(enc.status()).isEqualTo(415);
    assertThat(enc.errorCode()).isEqualTo("unsupported_encoding");
    Http.Response ct = http.post("/v1/ingest", token, "text/plain", null, new byte[] {1});
    assertThat(ct.status()).isEqualTo(415);
    Http.Response gz = http.post("/v1/ingest", token, WireCodec.JSON, "gzip", "not gzip".getBytes());
    assertThat(gz.status()).isEqualTo(400);
    assertThat(gz.errorCode()).isEqualTo("bad_encoding");
    Http.Response malformed = http.post("/v1/ingest", token, WireCodec.JSON, null, "{\"device\":".getBytes());
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(malformed.errorCode()).isEqualTo("malformed_batch");
    Http.Response missing = http.post("/v1/ingest", token, WireCodec.JSON, null,
        "{\"device\":\"dev-1\",\"epoch\":1,\"messages\":[{\"seq\":1,\"payload\":\"x\"}]}".getBytes());
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.json().path("error").path("message").asText()).contains("messages[0].topic");
    assertThat(server.store().page(0, 100, null, null)).isEmpty();
  }

  @Test
  void badRecordsAreRejectedAloneWhileTheirNeighboursAreStored() {
    List<Message> ms = new ArrayList<>();
    ms.add(Batches.message("dev-1", 1, 1));
    ms.add(new Message(2, "", Priority.HIGH, 1, Map.of(), new byte[1]));
    ms.add(new Message(3, "t", Priority.HIGH, 1, Map.of(), new byte[1001]));
    ms.add(new Message(4, "nul\0", Priority.HIGH, 1, Map.of(), new byte[1]));
    ms.add(new Message(5, "t", Priority.HIGH, 1, Map.of("k", "\ud800"), new byte[1]));
    ms.add(Batches.message("dev-1", 1, 6));
    List<RecordResult> rs = results(ingestJson(token, new Batch("dev-1", 1, ms)));
    assertThat(rs).extracting(RecordResult::status).containsExactly(
        RecordResult.Status.STORED, RecordResult.Status.REJECTED, RecordResult.Status.REJECTED,
        RecordResult.Status.REJECTED, RecordResult.Status.REJECTED, RecordResult.Status.STORED);
    assertThat(rs.get(1).reason()).isEqualTo("empty topic");
    assertThat(rs.get(2).reason()).contains("payload is 1001 bytes");
    assertThat(server.store().page(0, 100, null, null)).extracting(r -> r.message().seq()).containsExactly(1L, 6L);
    DeviceInfo d = server.devices().list().getFirst();
    assertThat(d.stored()).isEqualTo(2);
    assertThat(d.rejected()).isEqualTo(4);
  }

  @Test
  void devicesViewShowsCountersAndHealth() {
    results(ingestJson(token, Batches.batch("dev-1", 1, 1, 4)));
    results(ingestJson(token, Batches.batch("dev-1", 1, 3, 4)));
    Http.Response put = http.send("PUT", "/v1/health", token, Map.of("Content-Type", "application/json"),
        "{\"link\":\"DEGRADED\",\"rttMs\":120}".getBytes());
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(http.send("PUT", "/v1/health", token, Map.of(), "[1]".getBytes()).status()).isEqualTo(400);
    assertThat(http.send("PUT", "/v1/health", token, Map.of(), new byte[20_000]).status()).isEqualTo(413);
    assertThat(http.send("PUT", "/v1/health", "bad", Map.of(), "{}".getBytes()).status()).isEqualTo(401);
    JsonNode d = http.get("/v1/devices", ADMIN).json().get("devices").get(0);
    assertThat(d.get("device").asText()).isEqualTo("dev-1");
    assertThat(d.get("stored").asLong()).isEqualTo(6);
    assertThat(d.get("duplicates").asLong()).isEqualTo(2);
    assertThat(d.get("rejected").asLong()).isZero();
    assertThat(d.get("lastSeen").asLong()).isPositive();
    assertThat(d.get("health").get("link").asText()).isEqualTo("DEGRADED");
  }

  @Test
  void adminCanAddAndRevokeDevicesOverHttp() {
    Http.Response added = http.send("POST", "/v1/devices", ADMIN, Map.of("Content-Type", "application/json"),
        "{\"device\":\"gw-9\"}".getBytes());
    assertThat(added.status()).as(added.body()).isEqualTo(201);
    String t = added.json().get("token").asText();
    assertThat(results(ingestJson(t, Batches.batch("gw-9", 1, 1, 1)))).hasSize(1);
    assertThat(http.send("POST", "/v1/devices", ADMIN, Map.of(), "{\"device\":\"gw-9\"}".getBytes()).status())
        .isEqualTo(409);
    assertThat(http.send("POST", "/v1/devices", ADMIN, Map.of(), "{\"device\":\"bad id\"}".getBytes()).status())
        .isEqualTo(400);
    assertThat(http.send("DELETE", "/v1/devices/gw-9", ADMIN, Map.of(), null).status()).isEqualTo(200);
    assertThat(http.send("DELETE", "/v1/devices/gw-9", ADMIN, Map.of(), null).status()).isEqualTo(404);
    assertThat(ingestJson(t, Batches.batch("gw-9", 1, 2, 1)).status()).isEqualTo(401);
  }

  @Test
  void probesAndMetrics() {
    assertThat(http.get("/healthz", null).status()).isEqualTo(200);
    assertThat(http.get("/readyz", null).status()).isEqualTo(200);
    results(ingestJson(token, Batches.batch("dev-1", 1, 1, 3)));
    results(ingestJson(token, Batches.batch("dev-1", 1, 1, 3)));
    ingestJson(null, Batches.batch("dev-1", 1, 1, 3));
    String m = http.get("/metrics", null).body();
    assertThat(m).contains("outpost_records_total{outcome=\"stored\"} 3.0")
        .contains("outpost_records_total{outcome=\"duplicate\"} 3.0")
        .contains("outpost_http_requests_total{status=\"401\"} 1.0")
        .contains("outpost_store_commit_seconds_bucket");
  }

  @Test
  void generatesAnAdminTokenOnFirstStartOnly(@TempDir Path other) {
    try (OutpostServer s1 = OutpostServer.start(ServerConfig.builder().port(0).dataDir(other).build())) {
      String admin = s1.generatedAdminToken().orElseThrow();
      try (Http h = new Http(s1.url())) {
        assertThat(h.get("/v1/devices", admin).status()).isEqualTo(200);
      }
    }
    try (OutpostServer s2 = OutpostServer.start(ServerConfig.builder().port(0).dataDir(other).build())) {
      assertThat(s2.generatedAdminToken()).isEmpty();
    }
  }

  @Test
  void shedsLoadWith503AndRetryAfterAndAnswersUnknownPathsInJson(@TempDir Path other) {
    try (OutpostServer small = OutpostServer.start(ServerConfig.builder().port(0).dataDir(other)
            .adminToken(ADMIN).maxPendingRecords(5).build());
        Http h = new Http(small.url())) {
      String t = small.devices().add("dev-1");
      Http.Response r = h.post("/v1/ingest", t, WireCodec.JSON, null, WireCodec.encodeJson(Batches.batch("dev-1", 1, 1, 6)));
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.errorCode()).isEqualTo("overloaded");
      assertThat(r.raw().headers().firstValue("Retry-After")).contains("1");
      assertThat(h.post("/v1/ingest", t, WireCodec.JSON, null, WireCodec.encodeJson(Batches.batch("dev-1", 1, 1, 5))).status())
          .isEqualTo(200);
      Http.Response missing = h.get("/v1/nothing", ADMIN);
      assertThat(missing.status()).isEqualTo(404);
      assertThat(missing.errorCode()).isEqualTo("not_found");
    }
  }

  @Test
  void answersDecodeToTheCoreResultType() {
    BatchResult r = WireCodec.decodeResult(ingestJson(token, Batches.batch("dev-1", 1, 1, 2)).body().getBytes());
    assertThat(r.serverTimeMillis()).isPositive();
  }
}
