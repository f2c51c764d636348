package dev.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.Hlc;
import dev.outpost.core.sync.Op;
import dev.outpost.core.sync.SyncJson;
import dev.outpost.core.wire.Protocol;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.testing.Http;
import dev.outpost.server.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two servers on one PostgreSQL database, as behind a load balancer: the back office writes
 * through one, devices write and pull through the other, at the same time. Every write reaches
 * every reader once, a long-poll on one server wakes for a write on the other, and a pull cursor
 * from one server works on the other (they share the cursor key).
 */
class PostgresTwoServersSyncTest {
  static final String ADMIN = "admin-secret";
  static final String SYNC = "collections:\n  orders:\n    counters: [qty]\n    devices: read-write\n";
  TestPostgres.Database db;
  OutpostServer a;
  OutpostServer b;

  @BeforeEach
  void start() {
    db = TestPostgres.createDatabase();
    a = start(db);
    b = start(db);
  }

  static OutpostServer start(TestPostgres.Database db) {
    return OutpostServer.start(ServerConfig.builder().port(0).store(StoreKind.POSTGRES).pgUrl(db.url()).pgPoolSize(4)
        .adminToken(ADMIN).syncCollections(SyncCollections.parse(SYNC, "test")).build());
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    db.close();
  }

  @Test
  void backOfficeOnOneServerDevicesOnTheOtherEveryWriteArrivesOnce() throws Exception {
    String token = a.devices().add("dev-1");
    try (Http ha = new Http(a.url()); Http hb = new Http(b.url()); ExecutorService pool = Executors.newFixedThreadPool(3)) {
      // a long-poll on b, woken by a write on a
      String cursor = hb.send("GET", "/v1/sync/pull", token, Map.of(), null).json().path("cursor").asText();
      CompletableFuture<Http.Response> waiting =
          CompletableFuture.supplyAsync(() -> hb.send("GET", "/v1/sync/pull?wait=20&cursor=" + cursor, token, Map.of(), null), pool);
      ha.send("PUT", "/v1/docs/orders/first", ADMIN, Map.of(), "{\"s\":1}".getBytes(StandardCharsets.UTF_8));
      assertThat(waiting.get().json().path("changes").get(0).path("id").asText()).isEqualTo("first");

      // writers on both servers at once: the back office through a, the device through b
      List<Future<?>> writers = new ArrayList<>();
      writers.add(pool.submit(() -> {
        for (int i = 0; i < 60; i++) {
          ha.send("PUT", "/v1/docs/orders/bo-" + i, ADMIN, Map.of(), "{\"s\":1}".getBytes(StandardCharsets.UTF_8));
        }
      }));
      writers.add(pool.submit(() -> {
        for (int i = 0; i < 60; i++) {
          Document d = new Document("orders", "dev-" + i);
          Op op = d.increment(new Hlc(System.currentTimeMillis(), 0, "dev-1.s1"), "qty", 1);
          Message m = new Message(i + 1, Protocol.SYNC_TOPIC, Priority.HIGH, 1, Map.of(), SyncJson.encode(op));
          Http.Response r = hb.send("POST", "/v1/ingest", token, Map.of("Content-Type", WireCodec.JSON),
              WireCodec.encodeJson(new Batch("dev-1", 9, List.of(m))));
          assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
      }));
      // a reader pulls from a with cursors, while they write
      Set<String> seen = new HashSet<>();
      String c = cursor;
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (System.nanoTime() < deadline) {
        boolean done = writers.stream().allMatch(Future::isDone);
        JsonNode page = ha.send("GET", "/v1/sync/pull?limit=17&cursor=" + c, token, Map.of(), null).json();
        page.path("changes").forEach(ch -> seen.add(ch.path("id").asText()));
        c = page.path("cursor").asText();
        if (done && page.path("changes").isEmpty()) {
          break;
        }
      }
      for (Future<?> f : writers) {
        f.get();
      }
      assertThat(seen).hasSize(121).contains("first", "bo-59", "dev-59");
      JsonNode counter = ha.send("GET", "/v1/docs/orders/dev-7", ADMIN, Map.of(), null).json().path("doc");
      assertThat(counter.path("qty").asLong()).isEqualTo(1);
    }
  }

  /**
   * Devices on both servers merge increments into the same documents at once, each batch naming
   * them in its own shuffled order, while the back office increments them through both servers
   * too: every writer locks the rows it merges into, in one order, so no transaction deadlocks
   * (PostgreSQL would abort one, and its request would fail) and every increment counts once.
   */
  @Test
  void concurrentMergesOfTheSameDocumentsThroughBothServersLoseNothingAndNeverDeadlock() throws Exception {
    int devices = 6;
    int batches = 40;
    int docs = 3;
    List<String> tokens = new ArrayList<>();
    for (int d = 0; d < devices; d++) {
      tokens.add(a.devices().add("dev-" + d));
    }
    long seed = Long.getLong("outpost.seed", System.nanoTime());
    System.out.println("PostgresTwoServersSyncTest seed " + seed + " (rerun with -Doutpost.seed=" + seed + ")");
    long[] expected = new long[docs];
    List<List<List<Op>>> plans = new ArrayList<>(); // per device, per batch, its ops
    java.util.Random r = new java.util.Random(seed);
    for (int d = 0; d < devices; d++) {
      Map<String, Document> mine = new java.util.HashMap<>();
      List<List<Op>> perBatch = new ArrayList<>();
      long t = System.currentTimeMillis();
      for (int k = 0; k < batches; k++) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < docs; i++) {
          order.add(i);
          order.add(i);
        }
        java.util.Collections.shuffle(order, r);
        List<Op> ops = new ArrayList<>();
        for (int i : order) {
          Document doc = mine.computeIfAbsent("shared-" + i, id -> new Document("orders", id));
          Op op = doc.increment(new Hlc(t++, 0, "dev-" + d + ".s1"), "qty", 1);
          doc.apply(op);
          ops.add(op);
          expected[i]++;
        }
        perBatch.add(ops);
      }
      plans.add(perBatch);
    }
    try (Http ha = new Http(a.url()); Http hb = new Http(b.url()); ExecutorService pool = Executors.newFixedThreadPool(devices + 2)) {
      List<Future<?>> senders = new ArrayList<>();
      for (int d = 0; d < devices; d++) {
        int device = d;
        Http via = d % 2 == 0 ? ha : hb;
        senders.add(pool.submit(() -> {
          long seq = 0;
          for (List<Op> ops : plans.get(device)) {
            List<Message> ms = new ArrayList<>();
            for (Op op : ops) {
              ms.add(new Message(++seq, Protocol.SYNC_TOPIC, Priority.HIGH, 1, Map.of(), SyncJson.encode(op)));
            }
            Http.Response resp = via.send("POST", "/v1/ingest", tokens.get(device), Map.of("Content-Type", WireCodec.JSON),
                WireCodec.encodeJson(new Batch("dev-" + device, 1, ms)));
            assertThat(resp.status()).as(resp.body()).isEqualTo(200);
            assertThat(WireCodec.decodeResult(resp.raw().body()).results())
                .extracting(dev.outpost.core.RecordResult::status).as(resp.body())
                .containsOnly(dev.outpost.core.RecordResult.Status.STORED);
          }
          return null;
        }));
      }
      int backOffice = 60;
      for (int w = 0; w < 2; w++) {
        Http via = w == 0 ? ha : hb;
        int writer = w;
        senders.add(pool.submit(() -> {
          for (int k = 0; k < backOffice; k++) {
            Http.Response resp = via.send("POST", "/v1/docs/orders/shared-" + ((k + writer) % docs) + "/ops", ADMIN, Map.of(),
                "{\"ops\":[{\"op\":\"increment\",\"field\":\"qty\",\"delta\":1}]}".getBytes(StandardCharsets.UTF_8));
            assertThat(resp.status()).as(resp.body()).isEqualTo(200);
          }
          return null;
        }));
        for (int k = 0; k < backOffice; k++) {
          expected[(k + w) % docs]++;
        }
      }
      for (Future<?> f : senders) {
        f.get();
      }
      for (int i = 0; i < docs; i++) {
        JsonNode doc = hb.send("GET", "/v1/docs/orders/shared-" + i, ADMIN, Map.of(), null).json().path("doc");
        assertThat(doc.path("qty").asLong()).as("shared-%d, seed %d", i, seed).isEqualTo(expected[i]);
      }
    }
  }

  @Test
  void aSyncConfigSetThroughOneServerIsServedByTheOtherWithinSeconds() {
    try (Http ha = new Http(a.url()); Http hb = new Http(b.url())) {
      String yaml = SYNC + "  prices:\n    conflict: server-wins\n";
      Http.Response put = ha.send("PUT", "/v1/sync/config", ADMIN, Map.of("Content-Type", "application/yaml"),
          yaml.getBytes(StandardCharsets.UTF_8));
      assertThat(put.status()).as(put.body()).isEqualTo(200);
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() ->
          assertThat(hb.send("PUT", "/v1/docs/prices/p-1", ADMIN, Map.of(), "{\"eur\":3}".getBytes(StandardCharsets.UTF_8))
              .status()).isEqualTo(200));
      assertThat(hb.send("GET", "/v1/sync/config", ADMIN, Map.of(), null).body()).isEqualTo(yaml);
    }
  }
}
