package dev.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.RecordResult;
import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.Hlc;
import dev.outpost.core.sync.Op;
import dev.outpost.core.sync.PullPage;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.sync.SyncJson;
import dev.outpost.core.wire.Protocol;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.testing.Http;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The back office's document API and the devices' pull, over real loopback HTTP (SQLite store). */
class DocsHttpTest {
  static final String ADMIN = "admin-secret";
  static final String SYNC = """
      collections:
        orders:
          counters: [qty]
          sets: [tags]
          devices: read-write
          max_doc_bytes: 2048
        prices:
          conflict: server-wins
          subscribe: {where: {region: eu}}
        tickets:
          conflict: manual
          devices: read-write
        stock:
          subscribe: {where: {site: "$device.site"}}
        shifts:
          devices: read-write
          subscribe: {where: {site: "$device.site"}}
      """;
  @TempDir Path dir;
  OutpostServer server;
  Http http;
  String token;

  ServerConfig.Builder store() {
    return ServerConfig.builder().dataDir(dir);
  }

  @BeforeEach
  void start() {
    server = OutpostServer.start(store().port(0).adminToken(ADMIN)
        .syncCollections(SyncCollections.parse(SYNC, "test")).build());
    http = new Http(server.url());
    token = server.devices().add("dev-1");
  }

  @AfterEach
  void stop() {
    http.close();
    server.close();
  }

  Http.Response send(String method, String path, String body) {
    return http.send(method, path, ADMIN, Map.of("Content-Type", "application/json"),
        body == null ? null : body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theBackOfficeWritesReadsListsAndDeletesDocuments() {
    Http.Response put = send("PUT", "/v1/docs/orders/wo-1", "{\"status\":\"open\",\"site\":\"berlin\"}");
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(put.json().path("doc").path("status").asText()).isEqualTo("open");
    assertThat(put.json().path("version").asText()).contains("@server-");

    Http.Response patch = send("PATCH", "/v1/docs/orders/wo-1",
        "{\"status\":\"done\",\"site\":null,\"qty\":{\"$inc\":5},\"tags\":{\"$add\":[\"urgent\",\"eu\"]}}");
    assertThat(patch.status()).as(patch.body()).isEqualTo(200);
    send("PATCH", "/v1/docs/orders/wo-1", "{\"qty\":{\"$inc\":-2},\"tags\":{\"$remove\":[\"eu\"]}}");
    JsonNode doc = send("GET", "/v1/docs/orders/wo-1", null).json().path("doc");
    assertThat(doc.toString()).isEqualTo("{\"qty\":3,\"status\":\"done\",\"tags\":[\"urgent\"]}");

    // PUT replaces the register fields, keeps counters and sets
    send("PUT", "/v1/docs/orders/wo-1", "{\"note\":\"x\"}");
    assertThat(send("GET", "/v1/docs/orders/wo-1", null).json().path("doc").toString())
        .isEqualTo("{\"note\":\"x\",\"qty\":3,\"tags\":[\"urgent\"]}");

    send("PUT", "/v1/docs/orders/wo-2", "{\"status\":\"open\"}");
    JsonNode list = send("GET", "/v1/docs/orders?limit=1", null).json();
    assertThat(list.path("docs").get(0).path("id").asText()).isEqualTo("wo-1");
    assertThat(list.path("next").asText()).isEqualTo("wo-1");
    assertThat(send("GET", "/v1/docs/orders?after=wo-1", null).json().path("docs").get(0).path("id").asText())
        .isEqualTo("wo-2");

    assertThat(send("DELETE", "/v1/docs/orders/wo-1", null).status()).isEqualTo(204);
    assertThat(send("GET", "/v1/docs/orders/wo-1", null).status()).isEqualTo(404);
    assertThat(send("DELETE", "/v1/docs/orders/wo-1", null).status()).isEqualTo(404);
  }

  @Test
  void theSyncConfigIsReplacedThroughTheAdminApiCheckedAsAtStartAndKeptAcrossARestart() {
    assertThat(send("GET", "/v1/sync/config", null).body()).isEqualTo(SYNC);
    Http.Response bad = send("PUT", "/v1/sync/config", "collections:\n  orders:\n    conflikt: lww\n");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().path("error").path("message").asText()).contains("unknown key 'collections.orders.conflikt'");
    assertThat(send("GET", "/v1/sync/config", null).body()).as("a refusal changes nothing").isEqualTo(SYNC);
    assertThat(http.send("PUT", "/v1/sync/config", token, Map.of(), "collections: {}".getBytes(StandardCharsets.UTF_8))
        .status()).as("a device token is not admin").isEqualTo(401);

    send("PUT", "/v1/docs/orders/wo-1", "{\"status\":\"open\"}");
    String pull = http.send("GET", "/v1/sync/pull", token, Map.of(), null).json().path("cursor").asText();
    String next = SYNC + "  notes:\n    devices: read-write\n";
    Http.Response ok = send("PUT", "/v1/sync/config", next);
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(ok.json().path("collections").toString()).contains("\"notes\"");
    assertThat(send("PUT", "/v1/docs/notes/n-1", "{\"text\":\"hi\"}").status()).isEqualTo(200);
    assertThat(http.send("GET", "/v1/sync/pull?cursor=" + pull, token, Map.of(), null).json().path("resync").asBoolean())
        .as("what the device receives changed: it resyncs").isTrue();

    // a restart without --sync-config serves the stored one
    ServerConfig same = server.config().newBuilder().port(0).syncCollections(SyncCollections.none()).build();
    http.close();
    server.close();
    server = OutpostServer.start(same);
    http = new Http(server.url());
    assertThat(send("GET", "/v1/sync/config", null).body()).isEqualTo(next);
    assertThat(send("GET", "/v1/docs/notes/n-1", null).json().path("doc").path("text").asText()).isEqualTo("hi");
  }

  @Test
  void opsAreStampedByTheServerAndAppliedInOrderInOneTransaction() {
    Http.Response r = send("POST", "/v1/docs/orders/wo-5/ops", """
        {"ops": [{"op": "patch", "set": {"status": "open", "site": "berlin"}},
                 {"op": "increment", "field": "qty", "delta": 4},
                 {"op": "increment", "field": "qty", "delta": -1},
                 {"op": "add", "field": "tags", "elements": ["a", "b"]},
                 {"op": "remove", "field": "tags", "elements": ["a"]}]}""");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().path("doc").toString()).isEqualTo("{\"qty\":3,\"site\":\"berlin\",\"status\":\"open\",\"tags\":[\"b\"]}");
    assertThat(r.json().path("version").asText()).contains("@server-");

    String before = send("GET", "/v1/docs/orders/wo-5", null).body();
    Http.Response bad = send("POST", "/v1/docs/orders/wo-5/ops", """
        {"ops": [{"op": "increment", "field": "qty", "delta": 1}, {"op": "increment", "field": "status", "delta": 1}]}""");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().path("error").path("message").asText()).contains("status");
    assertThat(send("POST", "/v1/docs/orders/wo-5/ops", "{\"ops\": [{\"op\": \"merge\"}]}").json().path("error")
        .path("message").asText()).contains("ops[0]: unknown op 'merge'");
    assertThat(send("GET", "/v1/docs/orders/wo-5", null).body()).as("nothing half-applied").isEqualTo(before);

    assertThat(send("POST", "/v1/docs/orders/wo-5/ops", "{\"ops\": [{\"op\": \"delete\"}]}").status()).isEqualTo(200);
    assertThat(send("GET", "/v1/docs/orders/wo-5", null).status()).isEqualTo(404);
  }

  @Test
  void anImportWritesManyDocumentsInOneTransactionOrNone() {
    StringBuilder body = new StringBuilder("{\"docs\": [");
    for (int i = 0; i < 2000; i++) {
      body.append(i == 0 ? "" : ",").append("{\"id\": \"p-").append(i).append("\", \"doc\": {\"region\": \"eu\", \"price\": ")
          .append(i).append("}}");
    }
    Http.Response r = send("POST", "/v1/docs/prices", body.append("]}").toString());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().path("written").asInt()).isEqualTo(2000);
    assertThat(send("GET", "/v1/docs/prices/p-1999", null).json().path("doc").toString())
        .isEqualTo("{\"price\":1999,\"region\":\"eu\"}");
    Http.Response page = http.send("GET", "/v1/sync/pull?limit=10000", token, Map.of(), null);
    assertThat(page.json().path("changes")).hasSize(2000);

    Http.Response bad = send("POST", "/v1/docs/orders", "{\"docs\": [{\"id\": \"wo-1\", \"doc\": {\"status\": \"x\"}},"
        + " {\"id\": \"wo-2\", \"doc\": {\"qty\": 1}}]}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().path("error").path("message").asText()).contains("orders.qty is a counter");
    assertThat(send("GET", "/v1/docs/orders/wo-1", null).status()).as("all or nothing").isEqualTo(404);
    assertThat(send("POST", "/v1/docs/orders", "{\"docs\": [{\"id\": \"a b\", \"doc\": {}}]}").json().path("error")
        .path("message").asText()).contains("docs[0].id 'a b'");
  }

  @Test
  void badWritesAreRefusedNamingTheFieldAndTheRuleAndChangeNothing() {
    send("PUT", "/v1/docs/orders/wo-1", "{\"status\":\"open\"}");
    String before = send("GET", "/v1/docs/orders/wo-1", null).body();
    Http.Response notANumber = send("PATCH", "/v1/docs/orders/wo-1", "{\"qty\":{\"$inc\":\"five\"}}");
    assertThat(notANumber.status()).isEqualTo(400);
    assertThat(notANumber.json().path("error").path("message").asText()).contains("orders.qty is a counter");
    assertThat(send("PATCH", "/v1/docs/orders/wo-1", "{\"tags\":[\"a\"]}").json().path("error").path("message").asText())
        .contains("orders.tags is a set");
    assertThat(send("PUT", "/v1/docs/orders/wo-1", "{\"qty\":3}").json().path("error").path("message").asText())
        .contains("orders.qty is a counter: PUT replaces register fields only");
    assertThat(send("PATCH", "/v1/docs/orders/wo-1", "{\"status\":{\"$inc\":1}}").json().path("error").path("message").asText())
        .contains("orders.status is a register");
    Http.Response huge = send("PATCH", "/v1/docs/orders/wo-1", "{\"note\":\"" + "x".repeat(3000) + "\"}");
    assertThat(huge.status()).isEqualTo(400);
    assertThat(huge.json().path("error").path("message").asText()).contains("max_doc_bytes of 2048");
    Http.Response deep = send("PATCH", "/v1/docs/orders/wo-1", "{\"note\":" + "[".repeat(100) + "]".repeat(100) + "}");
    assertThat(deep.status()).isEqualTo(400);
    assertThat(deep.json().path("error").path("message").asText()).contains("nested deeper");
    assertThat(send("PUT", "/v1/docs/nope/x", "{}").status()).isEqualTo(404);
    assertThat(send("PUT", "/v1/docs/orders/" + "x".repeat(300), "{}").status()).isEqualTo(400);
    assertThat(send("PUT", "/v1/docs/orders/wo-1", "[1]").status()).isEqualTo(400);
    assertThat(http.send("GET", "/v1/docs/orders/wo-1", null, Map.of(), null).status()).isEqualTo(401);
    assertThat(http.send("GET", "/v1/docs/orders/wo-1", token, Map.of(), null).status()).as("a device token is not admin")
        .isEqualTo(401);
    assertThat(send("GET", "/v1/docs/orders/wo-1", null).body()).isEqualTo(before);
  }

  @Test
  void aDevicePullsEveryChangeOnceWithTheStateToMergeAndACursorForItself() {
    send("PUT", "/v1/docs/orders/wo-1", "{\"status\":\"open\"}");
    send("PATCH", "/v1/docs/orders/wo-1", "{\"qty\":{\"$inc\":2}}");
    send("PUT", "/v1/docs/prices/p-eu", "{\"region\":\"eu\",\"price\":10}");
    send("PUT", "/v1/docs/prices/p-us", "{\"region\":\"us\",\"price\":12}");

    Http.Response first = http.send("GET", "/v1/sync/pull?limit=100", token, Map.of(), null);
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    JsonNode changes = first.json().path("changes");
    assertThat(changes).hasSize(3);
    JsonNode order = changes.get(0);
    assertThat(order.path("id").asText()).isEqualTo("wo-1");
    Document merged = SyncJson.decodeDocument(order.path("state"));
    assertThat(merged.view().toString()).isEqualTo(order.path("doc").toString());
    assertThat(merged.counter("qty")).isEqualTo(2);
    assertThat(changes.get(1).path("id").asText()).isEqualTo("p-eu");
    assertThat(changes.get(2).path("id").asText()).isEqualTo("p-us");
    assertThat(changes.get(2).path("removed").asBoolean()).as("outside the device's subscription").isTrue();
    assertThat(changes.get(2).has("state")).isFalse();
    String cursor = first.json().path("cursor").asText();

    assertThat(http.send("GET", "/v1/sync/pull?cursor=" + cursor, token, Map.of(), null).json().path("changes")).isEmpty();
    send("DELETE", "/v1/docs/orders/wo-1", null);
    JsonNode tomb = http.send("GET", "/v1/sync/pull?cursor=" + cursor, token, Map.of(), null).json().path("changes").get(0);
    assertThat(tomb.path("doc").isNull()).isTrue();
    assertThat(SyncJson.decodeDocument(tomb.path("state")).exists()).isFalse();
  }

  @Test
  void theBinaryPullCarriesTheSameChangesAsTheJsonPullInAFractionOfTheBytes() {
    for (int i = 0; i < 50; i++) {
      send("PUT", "/v1/docs/orders/wo-" + i, "{\"status\":\"open\",\"site\":\"berlin\",\"note\":\"check the pump " + i + "\"}");
      send("PATCH", "/v1/docs/orders/wo-" + i, "{\"qty\":{\"$inc\":" + i + "},\"tags\":{\"$add\":[\"a\",\"b\"]}}");
    }
    send("DELETE", "/v1/docs/orders/wo-7", null);
    send("PUT", "/v1/docs/prices/p-us", "{\"region\":\"us\",\"price\":12}");

    Http.Response json = http.send("GET", "/v1/sync/pull?limit=1000", token, Map.of(), null);
    PullPage fromJson = PullPage.decodeJson(json.raw().body());
    Http.Response binary = http.send("GET", "/v1/sync/pull?limit=1000", token,
        Map.of("Accept", PullPage.BINARY, "Accept-Encoding", "gzip, zstd"), null);
    assertThat(binary.status()).isEqualTo(200);
    assertThat(binary.raw().headers().firstValue("Content-Type")).contains(PullPage.BINARY);
    assertThat(binary.raw().headers().firstValue("Content-Encoding")).contains("zstd");
    PullPage fromBinary = PullPage.decodeBinary(ContentEncoding.ZSTD.decode(binary.raw().body(), 1 << 24));

    assertThat(fromBinary.changes()).hasSize(51);
    assertThat(fromBinary.more()).isEqualTo(fromJson.more());
    for (int i = 0; i < fromJson.changes().size(); i++) {
      PullPage.Change a = fromJson.changes().get(i);
      PullPage.Change b = fromBinary.changes().get(i);
      assertThat(b.collection() + "/" + b.id() + "@" + b.seq() + " " + b.removed())
          .isEqualTo(a.collection() + "/" + a.id() + "@" + a.seq() + " " + a.removed());
      if (!a.removed()) {
        assertThat(b.state().state()).isEqualTo(a.state().state());
      }
    }
    assertThat(fromBinary.changes()).filteredOn(c -> c.id().equals("wo-7")).singleElement()
        .satisfies(c -> assertThat(c.state().exists()).isFalse());
    assertThat(fromBinary.changes().getLast().removed()).as("p-us is outside the device's subscription").isTrue();
    // the binary cursor works in the JSON pull and back: one feed, two encodings
    assertThat(http.send("GET", "/v1/sync/pull?cursor=" + fromBinary.cursor(), token, Map.of(), null).json()
        .path("changes")).isEmpty();
    assertThat(binary.raw().body().length).as("zstd binary vs JSON bytes").isLessThan(json.raw().body().length / 5);
  }

  @Test
  void aLongPollAnswersAsSoonAsSomethingIsWritten() throws Exception {
    String cursor = http.send("GET", "/v1/sync/pull", token, Map.of(), null).json().path("cursor").asText();
    CompletableFuture<Http.Response> waiting = CompletableFuture.supplyAsync(
        () -> http.send("GET", "/v1/sync/pull?wait=20&cursor=" + cursor, token, Map.of(), null));
    long start = System.nanoTime();
    send("PUT", "/v1/docs/orders/wo-9", "{\"status\":\"new\"}");
    Http.Response r = waiting.get();
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.json().path("changes").get(0).path("id").asText()).isEqualTo("wo-9");
    assertThat(ms).as("answered after the write, not after the wait").isLessThan(10_000);
  }

  @Test
  void aForgedTruncatedOrAnotherDevicesCursorIsRefused() {
    String other = server.devices().add("dev-2");
    send("PUT", "/v1/docs/orders/wo-1", "{\"status\":\"open\"}");
    String mine = http.send("GET", "/v1/sync/pull", token, Map.of(), null).json().path("cursor").asText();
    assertThat(http.send("GET", "/v1/sync/pull?cursor=" + mine, other, Map.of(), null).status()).isEqualTo(400);
    assertThat(http.send("GET", "/v1/sync/pull?cursor=" + mine.substring(0, mine.length() - 3), token, Map.of(), null)
        .status()).isEqualTo(400);
    String forged = java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString("1.0.0.00000000000000000000000000000000".getBytes(StandardCharsets.US_ASCII));
    Http.Response r = http.send("GET", "/v1/sync/pull?cursor=" + forged, token, Map.of(), null);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.errorCode()).isEqualTo("bad_cursor");
    assertThat(http.send("GET", "/v1/sync/pull?cursor=*not*base64*", token, Map.of(), null).status()).isEqualTo(400);
    assertThat(http.send("GET", "/v1/sync/pull?limit=0", token, Map.of(), null).status()).isEqualTo(400);
    assertThat(http.send("GET", "/v1/sync/pull", null, Map.of(), null).status()).isEqualTo(401);
  }

  /** Sends ops as $sync records of dev-1 through the ingest API; returns the per-record results. */
  List<RecordResult> sendOps(long firstSeq, Op... ops) {
    List<Message> ms = new ArrayList<>();
    long seq = firstSeq;
    for (Op op : ops) {
      ms.add(new Message(seq++, Protocol.SYNC_TOPIC,
          Priority.HIGH, 1, Map.of(), SyncJson.encode(op)));
    }
    byte[] body = WireCodec.encodeJson(new Batch("dev-1", 7, ms));
    Http.Response r = http.send("POST", "/v1/ingest", token, Map.of("Content-Type", WireCodec.JSON), body);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return WireCodec.decodeResult(r.body().getBytes(StandardCharsets.UTF_8)).results();
  }

  private static Hlc devTime(long dt) {
    return new Hlc(System.currentTimeMillis() + dt, 0, "dev-1.s1");
  }

  @Test
  void aDevicesOpsArriveThroughTheUplinkAreMergedOnceAndComeBackInThePull() {
    Document local = new Document("orders", "wo-7");
    var put = local.patch(devTime(0), Map.of("status", TextNode.valueOf("open")));
    local.apply(put);
    var inc = local.increment(devTime(1), "qty", 4);
    local.apply(inc);
    var results = sendOps(1, put, inc);
    assertThat(results).extracting(r -> r.status().name()).containsExactly("STORED", "STORED");
    // the same records again (a resend after a lost answer): duplicates, merged once
    assertThat(sendOps(1, put, inc)).extracting(r -> r.status().name()).containsExactly("DUPLICATE", "DUPLICATE");
    JsonNode doc = send("GET", "/v1/docs/orders/wo-7", null).json().path("doc");
    assertThat(doc.toString()).isEqualTo("{\"qty\":4,\"status\":\"open\"}");
    JsonNode pulled = http.send("GET", "/v1/sync/pull", token, Map.of(), null).json().path("changes").get(0);
    Document fromServer = SyncJson.decodeDocument(pulled.path("state"));
    local.merge(fromServer);
    assertThat(local.view().toString()).isEqualTo(doc.toString());
  }

  @Test
  void aDevicesOpAgainstTheRulesIsRejectedWithTheRuleAndNothingIsMerged() {
    Document d = new Document("prices", "p-1");
    var readOnly = d.patch(devTime(0), Map.of("price", IntNode.valueOf(1)));
    Document o = new Document("orders", "wo-1");
    var notACounter = o.increment(devTime(0), "status", 1);
    var future = o.patch(new Hlc(System.currentTimeMillis() + 3_600_000, 0, "dev-1.s1"),
        Map.of("status", TextNode.valueOf("2040")));
    var otherNode = o.patch(new Hlc(System.currentTimeMillis(), 0, "dev-2.s1"),
        Map.of("status", TextNode.valueOf("spoof")));
    var unknown = new Document("nope", "x").patch(devTime(0), Map.of());
    var results = sendOps(10, readOnly, notACounter, future, otherNode, unknown);
    assertThat(results).extracting(r -> r.status().name()).containsOnly("REJECTED");
    assertThat(results.get(0).reason()).contains("read-only for devices");
    assertThat(results.get(1).reason()).contains("orders.status is not a counter field");
    assertThat(results.get(2).reason()).contains("more than the allowed skew");
    assertThat(results.get(3).reason()).contains("not by this device");
    assertThat(results.get(4).reason()).contains("no collection 'nope'");
    assertThat(send("GET", "/v1/docs/orders/wo-1", null).status()).isEqualTo(404);
    assertThat(http.send("GET", "/v1/sync/pull", token, Map.of(), null).json().path("changes")).isEmpty();
  }

  @Test
  void aConcurrentDeviceWriteToAManualCollectionKeepsTheCurrentValueForEveryone() {
    send("PUT", "/v1/docs/tickets/t-1", "{\"status\":\"open\"}");
    // the device wrote offline without having seen the back office's value
    Document device = new Document("tickets", "t-1");
    var mine = device.patch(devTime(5), Map.of("status", TextNode.valueOf("closed")));
    device.apply(mine);
    assertThat(sendOps(20, mine)).extracting(r -> r.status().name()).containsExactly("STORED");
    assertThat(send("GET", "/v1/docs/tickets/t-1", null).json().path("doc").path("status").asText()).isEqualTo("open");
    JsonNode pulled = http.send("GET", "/v1/sync/pull", token, Map.of(), null).json().path("changes").get(0);
    device.merge(SyncJson.decodeDocument(pulled.path("state")));
    assertThat(device.register("status").asText()).as("the device comes back to the server's value").isEqualTo("open");

    assertThat(http.send("GET", "/metrics", null, Map.of(), null).body()).contains("outpost_sync_conflicts_open 1.0");
    // a person sees both sides and picks the device's
    JsonNode listed = send("GET", "/v1/conflicts", null).json().path("conflicts");
    assertThat(listed).hasSize(1);
    JsonNode c = listed.get(0);
    assertThat(c.path("collection").asText()).isEqualTo("tickets");
    assertThat(c.path("doc").asText()).isEqualTo("t-1");
    assertThat(c.path("field").asText()).isEqualTo("status");
    assertThat(c.path("current").path("value").asText()).isEqualTo("open");
    assertThat(c.path("current").path("by").asText()).startsWith("server-");
    assertThat(c.path("proposed").path("value").asText()).isEqualTo("closed");
    assertThat(c.path("proposed").path("by").asText()).isEqualTo("dev-1.s1");
    Http.Response resolved = send("POST", "/v1/conflicts/" + c.path("id").asLong() + "/resolve", "{\"take\":\"proposed\"}");
    assertThat(resolved.status()).as(resolved.body()).isEqualTo(200);
    assertThat(resolved.json().path("doc").path("status").asText()).isEqualTo("closed");
    assertThat(send("POST", "/v1/conflicts/" + c.path("id").asLong() + "/resolve", "{\"take\":\"current\"}").status())
        .isEqualTo(409);
    assertThat(send("GET", "/v1/conflicts", null).json().path("conflicts")).isEmpty();
    assertThat(http.send("GET", "/metrics", null, Map.of(), null).body()).contains("outpost_sync_conflicts_open 0.0")
        .contains("outpost_sync_feed_head").contains("outpost_sync_ops_refused_at_merge_total 0.0");
    assertThat(send("GET", "/v1/conflicts?open=false", null).json().path("conflicts").get(0).path("resolution").asText())
        .isEqualTo("took proposed");
    String cursor = pulled.path("seq").asText();
    JsonNode again = http.send("GET", "/v1/sync/pull", token, Map.of(), null).json().path("changes").get(0);
    device.merge(SyncJson.decodeDocument(again.path("state")));
    assertThat(device.register("status").asText()).as("cursor %s", cursor).isEqualTo("closed");
    assertThat(send("POST", "/v1/conflicts/999/resolve", "{\"value\":1}").status()).isEqualTo(404);
    assertThat(send("POST", "/v1/conflicts/1/resolve", "{\"take\":\"mine\"}").status()).isEqualTo(400);
  }

  @Test
  void aCursorOlderThanTheFeedsCompactionGetsAnExplicitResyncThenASnapshotWithoutTheDeleted() {
    send("PUT", "/v1/docs/orders/a", "{\"status\":\"open\"}");
    send("PUT", "/v1/docs/orders/b", "{\"status\":\"open\"}");
    String behind = http.send("GET", "/v1/sync/pull", token, Map.of(), null).json().path("cursor").asText();
    send("DELETE", "/v1/docs/orders/a", null);
    // the device stays offline past the tombstone retention: compaction removes a's tombstone
    assertThat(server.store().internal().docs().compact(Long.MAX_VALUE)).isEqualTo(1);

    JsonNode answer = http.send("GET", "/v1/sync/pull?cursor=" + behind, token, Map.of(), null).json();
    assertThat(answer.path("resync").asBoolean()).as("never a silent gap: %s", answer).isTrue();
    assertThat(answer.path("changes")).isEmpty();
    // the snapshot in pages of one: a position below the horizon is no reason to resync again
    // (no refetch loop), since the cursor says it was handed out after that compaction
    List<String> ids = new ArrayList<>();
    String cursor = answer.path("cursor").asText();
    JsonNode snapshot = null;
    for (int page = 0; page < 10; page++) {
      snapshot = http.send("GET", "/v1/sync/pull?limit=1&cursor=" + cursor, token, Map.of(), null).json();
      assertThat(snapshot.path("resync").asBoolean()).as("page %d: %s", page, snapshot).isFalse();
      snapshot.path("changes").forEach(c -> ids.add(c.path("id").asText()));
      cursor = snapshot.path("cursor").asText();
      if (!snapshot.path("more").asBoolean()) {
        break;
      }
    }
    assertThat(ids).containsExactly("b");
    // a device that had seen the deletion goes on without a resync
    String upToDate = snapshot.path("cursor").asText();
    send("PUT", "/v1/docs/orders/c", "{\"status\":\"open\"}");
    JsonNode next = http.send("GET", "/v1/sync/pull?cursor=" + upToDate, token, Map.of(), null).json();
    assertThat(next.path("resync").asBoolean()).isFalse();
    assertThat(next.path("changes")).extracting(c -> c.path("id").asText()).containsExactly("c");
  }

  @Test
  void labelsDecideWhatADeviceReceivesAndAChangeOfThemResyncsIt() {
    send("PUT", "/v1/docs/stock/s-ber", "{\"site\":\"berlin\",\"n\":1}");
    send("PUT", "/v1/docs/stock/s-muc", "{\"site\":\"munich\",\"n\":2}");
    JsonNode before = http.send("GET", "/v1/sync/pull", token, Map.of(), null).json();
    assertThat(before.path("changes")).as("no label: none of them").allMatch(c -> c.path("removed").asBoolean());

    Http.Response set = send("PUT", "/v1/devices/dev-1/labels", "{\"site\":\"berlin\"}");
    assertThat(set.status()).as(set.body()).isEqualTo(200);
    assertThat(send("GET", "/v1/devices", null).json().path("devices").get(0).path("labels").path("site").asText())
        .isEqualTo("berlin");
    JsonNode answer = http.send("GET", "/v1/sync/pull?cursor=" + before.path("cursor").asText(), token, Map.of(), null).json();
    assertThat(answer.path("resync").asBoolean()).as("%s", answer).isTrue();
    assertThat(answer.path("reason").asText()).contains("subscription changed");
    JsonNode snapshot = http.send("GET", "/v1/sync/pull?cursor=" + answer.path("cursor").asText(), token, Map.of(), null).json();
    assertThat(snapshot.path("resync").asBoolean()).isFalse();
    JsonNode ber = snapshot.path("changes").get(0);
    assertThat(ber.path("id").asText()).isEqualTo("s-ber");
    assertThat(ber.path("doc").path("n").asInt()).isEqualTo(1);
    JsonNode muc = snapshot.path("changes").get(1);
    assertThat(muc.path("id").asText()).isEqualTo("s-muc");
    assertThat(muc.path("removed").asBoolean()).isTrue();
    // a deleted document of another site comes as a plain removal: its tombstone's state holds
    // fields the device must not read
    send("DELETE", "/v1/docs/stock/s-muc", null);
    JsonNode gone = http.send("GET", "/v1/sync/pull?cursor=" + snapshot.path("cursor").asText(), token, Map.of(), null)
        .json().path("changes").get(0);
    assertThat(gone.path("id").asText()).isEqualTo("s-muc");
    assertThat(gone.path("removed").asBoolean()).isTrue();
    assertThat(gone.has("state")).isFalse();
    // the same labels again: no resync
    send("PUT", "/v1/devices/dev-1/labels", "{\"site\":\"berlin\"}");
    assertThat(http.send("GET", "/v1/sync/pull?cursor=" + snapshot.path("cursor").asText(), token, Map.of(), null)
        .json().path("resync").asBoolean()).isFalse();

    assertThat(send("PUT", "/v1/devices/dev-1/labels", "{\"bad name\":\"x\"}").status()).isEqualTo(400);
    assertThat(send("PUT", "/v1/devices/dev-1/labels", "{\"site\":1}").status()).isEqualTo(400);
    assertThat(send("PUT", "/v1/devices/ghost/labels", "{}").status()).isEqualTo(404);
    Http.Response added = send("POST", "/v1/devices", "{\"device\":\"dev-9\",\"labels\":{\"site\":\"munich\"}}");
    assertThat(added.status()).as(added.body()).isEqualTo(201);
  }

  @Test
  void aDeviceWritesOnlyDocumentsItReceives() {
    Document mine = new Document("shifts", "sh-1");
    var create = mine.patch(devTime(0), Map.of("site", TextNode.valueOf("berlin"), "who", TextNode.valueOf("kim")));
    assertThat(sendOps(30, create).get(0).reason()).contains("has no label site");
    send("PUT", "/v1/devices/dev-1/labels", "{\"site\":\"berlin\"}");
    assertThat(sendOps(31, create)).extracting(r -> r.status().name()).containsExactly("STORED");
    var elsewhere = new Document("shifts", "sh-2").patch(devTime(1), Map.of("site", TextNode.valueOf("munich")));
    assertThat(sendOps(32, elsewhere).get(0).reason()).contains("does not receive shifts/sh-2")
        .contains("a new document must set it");
    send("PUT", "/v1/docs/shifts/sh-3", "{\"site\":\"munich\"}");
    var intoMunich = new Document("shifts", "sh-3").patch(devTime(2), Map.of("who", TextNode.valueOf("me")));
    assertThat(sendOps(33, intoMunich).get(0).reason()).contains("does not receive shifts/sh-3 (its subscription needs site=berlin)");
    var update = mine.patch(devTime(3), Map.of("who", TextNode.valueOf("lee")));
    assertThat(sendOps(34, update)).extracting(r -> r.status().name()).containsExactly("STORED");
    assertThat(send("GET", "/v1/docs/shifts/sh-1", null).json().path("doc").path("who").asText()).isEqualTo("lee");
  }
}
