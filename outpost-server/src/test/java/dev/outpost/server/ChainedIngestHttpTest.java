package dev.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.core.Batch;
import dev.outpost.core.RecordResult;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.testing.Batches;
import dev.outpost.server.testing.Http;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chained sends ({@code Outpost-Batch} / {@code Outpost-After}, docs/protocol.md) over real
 * loopback HTTP against the default (SQLite) store; {@link PostgresChainedIngestHttpTest} runs
 * the same against PostgreSQL. Whatever fails, nothing of a refused successor is in the store,
 * and what is stored is in chain order.
 */
class ChainedIngestHttpTest {
  static final String ADMIN = "admin-secret";
  static final Duration CHAIN_WAIT = Duration.ofMillis(300);
  /** An answer that did not wait a 10 s chain wait. */
  private static final Duration AT_ONCE = Duration.ofSeconds(5);
  @TempDir Path dir;
  OutpostServer server;
  Http http;
  String token;
  final ExecutorService senders = Executors.newCachedThreadPool();

  /** The store under test: SQLite here, PostgreSQL in {@link PostgresChainedIngestHttpTest}. */
  ServerConfig.Builder store() {
    return ServerConfig.builder().dataDir(dir);
  }

  @BeforeEach
  void start() {
    startServer(CHAIN_WAIT);
    token = server.devices().add("dev-1");
  }

  /** Starts a server on the store; the store keeps the devices of an earlier server. */
  /**
   * For tests that check an answer comes at once, not after the chain wait: with a 10 s wait,
   * "under {@link #AT_ONCE}" tells the two apart even when a loaded machine takes a while for a
   * round trip (the 300 ms default wait would not).
   */
  private void restartWithLongChainWait() {
    http.close();
    server.close();
    startServer(Duration.ofSeconds(10));
  }

  void startServer(Duration chainWait) {
    server = OutpostServer.start(store().port(0).adminToken(ADMIN).maxBatchRecords(100)
        .chainWait(chainWait).build());
    http = new Http(server.url());
  }

  @AfterEach
  void stop() {
    senders.shutdownNow();
    http.close();
    server.close();
  }

  /** POSTs the batch as JSON; {@code id} and {@code after} become the chain headers when not null. */
  Http.Response send(String tok, Batch b, String id, String after) {
    Map<String, String> h = new HashMap<>();
    h.put("Content-Type", WireCodec.JSON);
    if (id != null) {
      h.put("Outpost-Batch", id);
    }
    if (after != null) {
      h.put("Outpost-After", after);
    }
    return http.send("POST", "/v1/ingest", tok, h, WireCodec.encodeJson(b));
  }

  Http.Response send(Batch b, String id, String after) {
    return send(token, b, id, after);
  }

  static void assertStored(Http.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(WireCodec.decodeResult(r.body().getBytes(StandardCharsets.UTF_8)).results())
        .allMatch(x -> x.status() == RecordResult.Status.STORED);
  }

  static void assertNotStoredForPredecessor(Http.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(409);
    assertThat(r.errorCode()).isEqualTo("predecessor_not_stored");
  }

  /** The device's record seqs as read back, in server order. */
  List<Long> readBack(String device) {
    JsonNode page = http.get("/v1/messages?after=0&limit=10000&device=" + device, ADMIN).json();
    List<Long> seqs = new ArrayList<>();
    long lastServerSeq = 0;
    for (JsonNode m : page.get("messages")) {
      assertThat(m.get("serverSeq").asLong()).isGreaterThan(lastServerSeq);
      lastServerSeq = m.get("serverSeq").asLong();
      seqs.add(m.get("seq").asLong());
    }
    return seqs;
  }

  static List<Long> seqs(long first, int count) {
    List<Long> s = new ArrayList<>(count);
    for (long i = first; i < first + count; i++) {
      s.add(i);
    }
    return s;
  }

  @Test
  void everyIngestAnswerAdvertisesChaining() {
    List<Http.Response> answers = List.of(
        send(Batches.batch("dev-1", 1, 1, 3), "a1", null),
        send(Batches.batch("dev-1", 1, 4, 3), null, null),
        send(Batches.batch("dev-1", 1, 7, 3), "a2", "nobody"),
        send(Batches.batch("dev-1", 1, 10, 101), "a3", null),
        send(Batches.batch("dev-1", 1, 10, 3), "bad id", null),
        send(null, Batches.batch("dev-1", 1, 10, 3), "a4", null),
        http.post("/v1/ingest", token, "text/plain", null, new byte[] {1}));
    assertThat(answers).extracting(Http.Response::status).containsExactly(200, 200, 409, 413, 400, 401, 415);
    assertThat(answers).allSatisfy(r ->
        assertThat(r.raw().headers().firstValue("Outpost-Chain")).as("%s %s", r.status(), r.body()).contains("1"));
  }

  @Test
  void aBatchAfterACommittedOneIsStored() {
    assertStored(send(Batches.batch("dev-1", 1, 1, 5), "run.1", null));
    assertStored(send(Batches.batch("dev-1", 1, 6, 5), "run.2", "run.1"));
    assertStored(send(Batches.batch("dev-1", 1, 11, 5), "run.3", "run.2"));
    assertThat(readBack("dev-1")).isEqualTo(seqs(1, 15));
  }

  @Test
  void aBatchAfterAnUnknownOneIsRefusedAfterTheChainWaitAndNothingOfItIsStored() {
    long start = System.nanoTime();
    Http.Response r = send(Batches.batch("dev-1", 1, 1, 5), "b", "never-sent");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertNotStoredForPredecessor(r);
    assertThat(r.json().path("error").path("message").asText()).contains("never-sent");
    assertThat(took).isGreaterThanOrEqualTo(CHAIN_WAIT).isLessThan(CHAIN_WAIT.plusSeconds(5));
    assertThat(readBack("dev-1")).isEmpty();
    // the refused batch's own name now stands for a failed batch: its successors are refused too
    assertNotStoredForPredecessor(send(Batches.batch("dev-1", 1, 6, 5), "c", "b"));
    assertThat(readBack("dev-1")).isEmpty();
  }

  @Test
  void aBatchAfterOneRefusedAsTooLargeOrMalformedIsRefusedAndNothingOfItIsStored() {
    restartWithLongChainWait();
    Http.Response tooMany = send(Batches.batch("dev-1", 1, 1, 101), "big", null);
    assertThat(tooMany.status()).isEqualTo(413);
    assertThat(tooMany.errorCode()).isEqualTo("too_many_records");
    assertNotStoredForPredecessor(send(Batches.batch("dev-1", 1, 102, 5), "after-big", "big"));

    Map<String, String> h = Map.of("Content-Type", WireCodec.JSON, "Outpost-Batch", "broken");
    Http.Response malformed = http.send("POST", "/v1/ingest", token, h, "{\"device\":".getBytes(StandardCharsets.UTF_8));
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(malformed.errorCode()).isEqualTo("malformed_batch");
    long start = System.nanoTime();
    assertNotStoredForPredecessor(send(Batches.batch("dev-1", 1, 107, 5), "after-broken", "broken"));
    // a predecessor known to have failed is answered at once, not after the (10 s) chain wait
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(AT_ONCE);
    assertThat(readBack("dev-1")).isEmpty();
  }

  @Test
  void aSuccessorThatArrivesFirstWaitsForItsPredecessorAndIsStoredAfterIt() {
    // a long wait, so that the successor is surely still waiting when the predecessor comes
    http.close();
    server.close();
    startServer(Duration.ofSeconds(20));
    Batch first = Batches.batch("dev-1", 1, 1, 50);
    Batch second = Batches.batch("dev-1", 1, 51, 50);
    CompletableFuture<Http.Response> successor =
        CompletableFuture.supplyAsync(() -> send(second, "q.2", "q.1"), senders);
    // it cannot be answered before its predecessor arrives: it waits on the server
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !successor.isDone());
    assertStored(send(first, "q.1", null));
    assertStored(successor.join());
    assertThat(readBack("dev-1")).isEqualTo(seqs(1, 100));
  }

  @Test
  void aFailedBatchFailsItsWholeChain() {
    assertThat(send(Batches.batch("dev-1", 1, 1, 101), "A", null).status()).isEqualTo(413);
    assertNotStoredForPredecessor(send(Batches.batch("dev-1", 1, 102, 5), "B", "A"));
    assertNotStoredForPredecessor(send(Batches.batch("dev-1", 1, 107, 5), "C", "B"));
    assertThat(readBack("dev-1")).isEmpty();
    // sent again unchained (as the edge does once nothing before it is on the way), all is stored
    assertStored(send(Batches.batch("dev-1", 1, 102, 5), "B2", null));
    assertStored(send(Batches.batch("dev-1", 1, 107, 5), "C2", "B2"));
    assertThat(readBack("dev-1")).isEqualTo(seqs(102, 10));
  }

  @Test
  void aBadChainHeaderIsRefusedAndStoresNothing() {
    restartWithLongChainWait();
    Batch b = Batches.batch("dev-1", 1, 1, 3);
    List<String> bad = List.of("a b", "a/b", "x".repeat(65), "semi;colon", "ünï");
    for (String v : bad) {
      for (boolean asAfter : List.of(false, true)) {
        Http.Response r = asAfter ? send(b, "ok", v) : send(b, v, null);
        assertThat(r.status()).as("%s as %s: %s", v, asAfter ? "after" : "batch", r.body()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("bad_chain_header");
      }
    }
    long start = System.nanoTime();
    Http.Response self = send(b, "me", "me");
    assertThat(self.status()).as(self.body()).isEqualTo(400);
    assertThat(self.errorCode()).isEqualTo("bad_chain_header");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(AT_ONCE); // not a wait for itself
    assertThat(readBack("dev-1")).isEmpty();
    // every allowed character, and the longest name
    assertStored(send(b, "A.z_0:9-", null));
    assertStored(send(Batches.batch("dev-1", 1, 4, 3), "x".repeat(64), "A.z_0:9-"));
  }

  @Test
  void batchIdsArePerDevice() {
    String token2 = server.devices().add("dev-2");
    assertStored(send(Batches.batch("dev-1", 1, 1, 5), "shared", null));
    assertNotStoredForPredecessor(send(token2, Batches.batch("dev-2", 1, 1, 5), "d2", "shared"));
    assertThat(readBack("dev-2")).isEmpty();
    // and the same name on two devices names two batches
    assertStored(send(token2, Batches.batch("dev-2", 1, 1, 5), "shared", null));
    assertStored(send(token2, Batches.batch("dev-2", 1, 6, 5), "d2b", "shared"));
    assertThat(readBack("dev-2")).isEqualTo(seqs(1, 10));
  }
}
