package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.agent.Agent;
import dev.outpost.agent.AgentConfig;
import dev.outpost.agent.StatusDocument;
import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import dev.outpost.server.StoredRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real server and a real agent on loopback: publish over the agent's API, find it on the server. */
class AgentEndToEndTest {
  @TempDir Path tmp;
  private final HttpClient http = HttpClient.newHttpClient();
  private OutpostServer server;

  @BeforeEach
  void startServer() {
    server = OutpostServer.start(ServerConfig.builder().host("127.0.0.1").port(0)
        .dataDir(tmp.resolve("server")).adminToken("admin-token-1").build());
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  private AgentConfig agentConfig(String token) {
    Map<String, String> flags = new HashMap<>(Map.of("server-url", server.url(), "device-id", "gw-1",
        "token", token, "data-dir", tmp.resolve("agent").toString(), "api.port", "0"));
    flags.put("sync.linger", "5ms");
    flags.put("sync.heartbeat-offline-min", "200ms");
    return AgentConfig.load(null, Map.of(), flags, true);
  }

  private HttpResponse<String> post(Agent agent, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.apiPort() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode status(Agent agent) throws Exception {
    return StatusDocument.JSON.readTree(http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + agent.apiPort() + "/v1/status")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  @Test
  void publishedRecordsReachTheServerOnceAndStatusShowsTheSync() throws Exception {
    String token = server.devices().add("gw-1");
    try (Agent agent = Agent.start(agentConfig(token))) {
      for (int i = 0; i < 20; i++) {
        assertThat(post(agent, "/v1/publish/sensors/t?priority=HIGH", "t=" + i).statusCode()).isEqualTo(202);
      }
      StringBuilder batch = new StringBuilder();
      for (int i = 0; i < 30; i++) {
        batch.append("{\"topic\":\"sensors/h\",\"payload\":\"h=").append(i).append("\"}\n");
      }
      assertThat(post(agent, "/v1/publish", batch.toString()).statusCode()).isEqualTo(202);

      await().atMost(Duration.ofSeconds(30)).until(() -> server.store().page(0, 1000, "gw-1", null).size() == 50);
      await().atMost(Duration.ofSeconds(10)).until(() -> agent.outbox().stats().pendingTotal() == 0
          && agent.outbox().stats().inFlight() == 0);
      List<StoredRecord> stored = server.store().page(0, 1000, "gw-1", null);
      assertThat(stored).extracting(r -> new String(r.message().payload(), StandardCharsets.UTF_8))
          .contains("t=0", "t=19", "h=0", "h=29").doesNotHaveDuplicates();
      // the engine counts a batch as delivered just after the outbox has its ack
      await().atMost(Duration.ofSeconds(10))
          .until(() -> status(agent).at("/link/delivered").asLong() == 50);
      JsonNode s = status(agent);
      assertThat(s.at("/link/state").asText()).isEqualTo("ONLINE");
      assertThat(s.at("/link/last_sync").isNull()).isFalse();
      assertThat(s.at("/link/delivered").asLong()).isEqualTo(50);
      assertThat(s.at("/backlog/total").asLong()).isZero();
    }
  }

  @Test
  void aRefusedTokenShowsAsAnAuthProblemAndDeadLettersNothing() throws Exception {
    server.devices().add("gw-1");
    try (Agent agent = Agent.start(agentConfig("not-the-right-token"))) {
      assertThat(post(agent, "/v1/publish/t", "x").statusCode()).isEqualTo(202);
      await().atMost(Duration.ofSeconds(30)).until(() -> status(agent).at("/link/auth_problem").asBoolean());
      JsonNode s = status(agent);
      assertThat(s.at("/dead_letters").asLong()).isZero();
      assertThat(s.at("/backlog/total").asLong() + s.at("/backlog/in_flight").asLong()).isEqualTo(1);
      assertThat(s.at("/link/last_error").asText()).startsWith("AUTH");
    }
  }
}
