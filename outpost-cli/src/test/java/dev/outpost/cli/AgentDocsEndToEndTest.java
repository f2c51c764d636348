package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.agent.Agent;
import dev.outpost.agent.AgentConfig;
import dev.outpost.agent.ConfigException;
import dev.outpost.agent.StatusDocument;
import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import dev.outpost.server.SyncCollections;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's document API against a real server, over loopback: the same sync config file on
 * both; a back-office edit reaches the agent's local read; the agent's write reaches the server;
 * the rules are refused locally with the status the docs name; the changes long-poll wakes for a
 * pulled change; status shows how old the data is.
 */
class AgentDocsEndToEndTest {
  private static final String SYNC = """
      collections:
        orders:
          counters: [qty]
          sets: [tags]
          devices: read-write
        prices:
          devices: read
      """;
  @TempDir Path tmp;
  private final HttpClient http = HttpClient.newHttpClient();
  private OutpostServer server;
  private Agent agent;

  @BeforeEach
  void start() throws Exception {
    server = OutpostServer.start(ServerConfig.builder().host("127.0.0.1").port(0).dataDir(tmp.resolve("server"))
        .adminToken("admin-token-1").syncCollections(SyncCollections.parse(SYNC, "test")).build());
    Path file = Files.writeString(tmp.resolve("sync.yaml"), SYNC);
    agent = Agent.start(config(file, server.devices().add("gw-1"), "agent"));
  }

  private AgentConfig config(Path replicaConfig, String token, String dataDir) {
    Map<String, String> flags = new HashMap<>(Map.of("server-url", server.url(), "device-id", "gw-1",
        "token", token, "data-dir", tmp.resolve(dataDir).toString(), "api.port", "0",
        "replica.config", replicaConfig.toString()));
    flags.put("sync.linger", "5ms");
    return AgentConfig.load(null, Map.of(), flags, true);
  }

  @AfterEach
  void stop() {
    agent.close();
    server.close();
  }

  private HttpResponse<String> call(String base, String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer admin-token-1")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> local(String method, String path, String body) throws Exception {
    return call("http://127.0.0.1:" + agent.apiPort(), method, path, body);
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return StatusDocument.JSON.readTree(r.body());
  }

  @Test
  void aBackOfficeEditReachesTheLocalReadAndALocalWriteReachesTheServer() throws Exception {
    assertThat(call(server.url(), "PUT", "/v1/docs/orders/wo-1", "{\"status\":\"open\",\"site\":\"berlin\"}").statusCode())
        .isEqualTo(200);
    await().atMost(Duration.ofSeconds(15)).until(() -> local("GET", "/v1/docs/orders/wo-1", null).statusCode() == 200);
    assertThat(json(local("GET", "/v1/docs/orders/wo-1", null)).path("doc").path("status").asText()).isEqualTo("open");

    HttpResponse<String> patched = local("PATCH", "/v1/docs/orders/wo-1", "{\"status\":\"done\",\"qty\":{\"$inc\":3}}");
    assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);
    assertThat(json(patched).path("doc").toString()).isEqualTo("{\"qty\":3,\"site\":\"berlin\",\"status\":\"done\"}");
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(
        json(call(server.url(), "GET", "/v1/docs/orders/wo-1", null)).path("doc").path("qty").asInt()).isEqualTo(3));

    assertThat(local("PUT", "/v1/docs/orders/wo-2", "{\"site\":\"paris\"}").statusCode()).isEqualTo(200);
    JsonNode list = json(local("GET", "/v1/docs/orders?where.site=berlin&limit=10", null));
    assertThat(list.path("docs")).hasSize(1);
    assertThat(list.path("docs").get(0).path("id").asText()).isEqualTo("wo-1");
    assertThat(local("DELETE", "/v1/docs/orders/wo-2", null).statusCode()).isEqualTo(204);
    assertThat(local("GET", "/v1/docs/orders/wo-2", null).statusCode()).isEqualTo(404);

    JsonNode status = json(local("GET", "/v1/status", null));
    assertThat(status.path("replica").path("last_pull_at").asLong()).isPositive();
    assertThat(status.path("replica").path("data_age_ms").isNumber()).isTrue();
    assertThat(StatusDocument.table(status)).contains("replica").contains("data pulled").contains("unsent writes");
    assertThat(status.path("replica").path("pending_ops").has("orders")).isTrue();
  }

  @Test
  void theCliReadsAndWritesTheAgentsReplica() {
    String url = "http://127.0.0.1:" + agent.apiPort();
    MainTest.Result put = MainTest.run("docs", "put", "orders", "wo-7", "{\"site\":\"berlin\",\"status\":\"open\"}", "--agent", url);
    assertThat(put.code()).as(put.err()).isZero();
    assertThat(put.out()).contains("\"status\":\"open\"");
    assertThat(MainTest.run("docs", "patch", "orders", "wo-7", "{\"qty\":{\"$inc\":2}}", "--agent", url).out())
        .contains("\"qty\":2");
    assertThat(MainTest.run("docs", "get", "orders", "wo-7", "--agent", url).out()).contains("\"qty\":2");
    assertThat(MainTest.run("docs", "list", "orders", "--where", "site=berlin", "--agent", url).out()).contains("wo-7");
    MainTest.Result readOnly = MainTest.run("docs", "put", "prices", "p-1", "{\"eur\":1}", "--agent", url);
    assertThat(readOnly.code()).isEqualTo(1);
    assertThat(readOnly.err()).contains("403").contains("read-only");
    assertThat(MainTest.run("docs", "delete", "orders", "wo-7", "--agent", url).out()).contains("deleted orders/wo-7");
  }

  @Test
  void theRulesAreRefusedLocallyWithTheStatusTheDocsName() throws Exception {
    HttpResponse<String> readOnly = local("PUT", "/v1/docs/prices/p-1", "{\"eur\":3}");
    assertThat(readOnly.statusCode()).isEqualTo(403);
    assertThat(json(readOnly).path("error").path("message").asText()).contains("'prices' is read-only for devices");
    HttpResponse<String> notANumber = local("PATCH", "/v1/docs/orders/wo-1", "{\"qty\":{\"$inc\":\"three\"}}");
    assertThat(notANumber.statusCode()).isEqualTo(400);
    assertThat(json(notANumber).path("error").path("message").asText()).contains("orders.qty is a counter");
    assertThat(local("PATCH", "/v1/docs/orders/wo-1", "{\"tags\":\"urgent\"}").statusCode()).isEqualTo(400);
    assertThat(local("PUT", "/v1/docs/orders/wo-1", "{\"note\":" + "[".repeat(60) + "]".repeat(60) + "}").statusCode())
        .isEqualTo(400);
    assertThat(local("GET", "/v1/docs/nope/x", null).statusCode()).isEqualTo(404);
    assertThat(local("GET", "/v1/docs/orders/wo-1", null).statusCode()).as("nothing written").isEqualTo(404);
    assertThat(agent.outbox().stats().pendingTotal()).as("nothing queued").isZero();
  }

  @Test
  void theChangesLongPollWakesForAPulledChange() throws Exception {
    long after = json(local("GET", "/v1/docs/orders/changes", null)).path("next").asLong();
    CompletableFuture<HttpResponse<String>> waiting = CompletableFuture.supplyAsync(() -> {
      try {
        return local("GET", "/v1/docs/orders/changes?wait=20&after=" + after, null);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    call(server.url(), "PUT", "/v1/docs/orders/wo-9", "{\"status\":\"new\"}");
    JsonNode changes = json(waiting.get());
    assertThat(changes.path("changes").get(0).path("id").asText()).isEqualTo("wo-9");
    assertThat(changes.path("next").asLong()).isGreaterThan(after);

    // a back-office delete reaches the poller as the document with a null doc
    long next = changes.path("next").asLong();
    assertThat(call(server.url(), "DELETE", "/v1/docs/orders/wo-9", null).statusCode()).isEqualTo(204);
    JsonNode deleted = json(local("GET", "/v1/docs/orders/changes?wait=20&after=" + next, null));
    assertThat(deleted.path("changes").get(0).path("id").asText()).isEqualTo("wo-9");
    assertThat(deleted.path("changes").get(0).path("doc").isNull()).as(deleted.toString()).isTrue();
    assertThat(deleted.has("resync")).isFalse();
  }

  @Test
  void aBadReplicaConfigNamesTheFileAndTheKey() throws Exception {
    Path bad = Files.writeString(tmp.resolve("bad.yaml"), "collections:\n  orders:\n    priority: soon\n");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Agent.start(config(bad, "t0ken-123", "other")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("collections.orders.priority: 'soon'");
  }
}
