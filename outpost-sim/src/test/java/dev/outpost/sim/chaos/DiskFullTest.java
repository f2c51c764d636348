package dev.outpost.sim.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.core.Priority;
import dev.outpost.agent.Agent;
import dev.outpost.agent.AgentConfig;
import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import dev.outpost.sim.AckLedger;
import dev.outpost.sim.DeliveryChecker;
import dev.outpost.sim.DeliveryReport;
import dev.outpost.sim.Fault;
import dev.outpost.sim.FaultProxy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk full, by the outbox budget (1 MiB): with the server out of reach the agent takes HIGH
 * publishes until the budget is used up, then answers 507 with the "outbox full" message and
 * writes nothing; every 202 before that survives; once the link is back and the backlog drains,
 * publishes succeed again by themselves, with no restart. Every acknowledged record reaches the
 * server exactly once, in order; nothing is evicted or dead-lettered.
 */
class DiskFullTest {
  private static final String DEVICE = "full-1";
  private static final String ADMIN = "full-admin";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PAYLOAD = "{\"reading\":\"" + "x".repeat(2000) + "\"}";

  @TempDir Path tmp;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final AckLedger ledger = AckLedger.inMemory();
  private long epoch; // the agent's store epoch, for ledger ids

  @Test
  void fullOutboxRefusesWith507LosesNothingAndRecoversWithoutRestart() throws Exception {
    try (OutpostServer server = OutpostServer.start(ServerConfig.builder().port(0).dataDir(tmp.resolve("server"))
            .adminToken(ADMIN).build());
        FaultProxy proxy = FaultProxy.start("uplink", new InetSocketAddress("127.0.0.1", server.port()))) {
      proxy.setFault(Fault.refuse());
      Map<String, String> flags = Map.ofEntries(Map.entry("server-url", proxy.uri().toString()),
          Map.entry("device-id", DEVICE), Map.entry("token", server.devices().add(DEVICE)),
          Map.entry("data-dir", tmp.resolve("agent").toString()), Map.entry("api.port", "0"),
          Map.entry("outbox.budget-bytes", "1MiB"), Map.entry("outbox.evict-low-when-full", "false"),
          Map.entry("sync.retry-initial", "20ms"), Map.entry("sync.retry-cap", "300ms"),
          Map.entry("sync.heartbeat-offline-min", "100ms"), Map.entry("sync.heartbeat-offline-max", "300ms"),
          Map.entry("sync.linger", "5ms"), Map.entry("shutdown.drain-timeout", "0s"));
      try (Agent agent = Agent.start(AgentConfig.load(null, Map.of(), flags, true))) {
        URI api = URI.create("http://127.0.0.1:" + agent.apiPort());
        epoch = agent.outbox().epoch();
        HttpResponse<String> refused = publishUntilRefused(api, 2000);
        assertThat(refused).as("the 1 MiB budget filled up").isNotNull();
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(507);
        JsonNode error = JSON.readTree(refused.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("outbox_full");
        assertThat(error.path("message").asText()).startsWith("outbox full:").contains("raise budgetBytes");
        long acked = ledger.size();
        assertThat(acked).as("records taken before the budget ran out").isGreaterThan(100);

        HttpResponse<String> batch = http.send(HttpRequest.newBuilder(api.resolve("/v1/publish?topic=t&priority=HIGH"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"json\":" + PAYLOAD + "}\n{\"json\":" + PAYLOAD + "}\n")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(batch.statusCode()).as("a batch is refused whole: " + batch.body()).isEqualTo(507);
        JsonNode full = status(api);
        assertThat(full.path("last_seq").asLong()).as("nothing written by the refused publishes").isEqualTo(acked);

        proxy.heal(); // space returns as the backlog drains
        await("publishes accepted again without a restart").atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> publish(api, "sensors/temp", PAYLOAD).statusCode() == 202);
        await("backlog drained").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
            .until(() -> drained(status(api)));
        JsonNode after = status(api);
        assertThat(after.path("counters").path("evicted").asLong()).isZero();
        assertThat(after.path("dead_letters").asLong()).isZero();
      }
      DeliveryReport report = DeliveryChecker.builder(URI.create(server.url()), ADMIN).build().check(ledger);
      assertThat(report.ok()).as("%s", report).isTrue();
      assertThat(report.acknowledged()).isEqualTo(ledger.size());
    }
  }

  /**
   * The same on a real 3 MiB tmpfs that fills up (ENOSPC, SQLITE_FULL), where mount is permitted
   * (skipped otherwise): publishes are refused with 507 "outbox full: disk full at ...", every
   * 202 survives, and once the filler is deleted and the link is back, publishes succeed again
   * with no restart.
   */
  @Test
  void aRealFullFilesystemRefusesPublishesLosesNothingAndRecoversWhenSpaceReturns() throws Exception {
    SmallFilesystem fs = SmallFilesystem.tryMount(tmp.resolve("small"), 3 * 1024);
    assumeTrue(fs != null, "mounting a tmpfs needs root and mount permission; skipped");
    try (fs; OutpostServer server = OutpostServer.start(ServerConfig.builder().port(0)
            .dataDir(tmp.resolve("server")).adminToken(ADMIN).build());
        FaultProxy proxy = FaultProxy.start("uplink", new InetSocketAddress("127.0.0.1", server.port()))) {
      proxy.setFault(Fault.refuse());
      Map<String, String> flags = Map.of("server-url", proxy.uri().toString(), "device-id", DEVICE,
          "token", server.devices().add(DEVICE), "data-dir", fs.root().resolve("agent").toString(),
          "api.port", "0", "shutdown.drain-timeout", "0s");
      Path filler = fs.root().resolve("filler");
      try (Agent agent = Agent.start(AgentConfig.load(null, Map.of(), flags, true))) {
        URI api = URI.create("http://127.0.0.1:" + agent.apiPort());
        epoch = agent.outbox().epoch();
        Files.write(filler, new byte[1 << 20]); // another program's 1 MiB, deleted later
        HttpResponse<String> refused = publishUntilRefused(api, 5000);
        assertThat(refused).as("the 3 MiB filesystem filled up").isNotNull();
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(507);
        assertThat(JSON.readTree(refused.body()).path("error").path("message").asText())
            .startsWith("outbox full: disk full at " + fs.root().resolve("agent")).contains("SQLITE_FULL");
        assertThat(status(api).path("storage").path("disk_full_refusals").asLong()).isPositive();
        Files.delete(filler); // space returns
        proxy.heal();
        await("publishes accepted again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> publish(api, "sensors/temp", PAYLOAD).statusCode() == 202);
        await("backlog drained").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
            .until(() -> drained(status(api)));
      }
      DeliveryReport report = DeliveryChecker.builder(URI.create(server.url()), ADMIN).build().check(ledger);
      assertThat(report.ok()).as("%s", report).isTrue();
    }
  }

  /**
   * Nothing pending and nothing in flight: a leased batch leaves the pending count at once, and
   * the agent closing before its answer came back would leave it unsent (kept on disk, but not
   * on the server the checker reads).
   */
  private static boolean drained(JsonNode status) {
    JsonNode backlog = status.path("backlog");
    return backlog.path("total").asLong() == 0 && backlog.path("in_flight").asLong() == 0;
  }

  /** Publishes until an answer is not 202 (returned), at most {@code max} times (then null). */
  private HttpResponse<String> publishUntilRefused(URI api, int max) throws Exception {
    for (int i = 0; i < max; i++) {
      HttpResponse<String> r = publish(api, "sensors/temp", PAYLOAD);
      if (r.statusCode() != 202) {
        return r;
      }
    }
    return null;
  }

  /** Publishes one HIGH record; a 202 goes into the ledger. */
  private HttpResponse<String> publish(URI api, String topic, String payload) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(api.resolve("/v1/publish/" + topic + "?priority=HIGH"))
        .POST(HttpRequest.BodyPublishers.ofString(payload)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() == 202) {
      ledger.acknowledged(DEVICE, epoch, JSON.readTree(r.body()).path("seq").asLong(), topic, Priority.HIGH);
    }
    return r;
  }

  private JsonNode status(URI api) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(api.resolve("/v1/status")).build(),
        HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }
}
