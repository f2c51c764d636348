package dev.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.SyncJson;
import dev.outpost.server.testing.Http;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
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
        .encodeToString("1.0.00000000000000000000000000000000".getBytes(StandardCharsets.US_ASCII));
    Http.Response r = http.send("GET", "/v1/sync/pull?cursor=" + forged, token, Map.of(), null);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.errorCode()).isEqualTo("bad_cursor");
    assertThat(http.send("GET", "/v1/sync/pull?cursor=*not*base64*", token, Map.of(), null).status()).isEqualTo(400);
    assertThat(http.send("GET", "/v1/sync/pull?limit=0", token, Map.of(), null).status()).isEqualTo(400);
    assertThat(http.send("GET", "/v1/sync/pull", null, Map.of(), null).status()).isEqualTo(401);
  }
}
