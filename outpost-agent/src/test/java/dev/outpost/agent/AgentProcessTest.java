package dev.outpost.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Message;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.agent.AgentLock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the agent as a real child process and stops it with SIGTERM or SIGKILL. */
class AgentProcessTest {
  private static final Pattern SEQ = Pattern.compile("\"seq\":(\\d+)");
  @TempDir Path tmp;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private AgentChild agent;
  private Process process;

  @AfterEach
  void killLeftover() throws InterruptedException {
    if (agent != null) {
      agent.close();
    }
  }

  private String startAgent(Path dataDir) throws IOException {
    agent = AgentChild.start(dataDir, "http://127.0.0.1:1", List.of());
    process = agent.process();
    return agent.api();
  }

  private String log() throws IOException {
    return agent.log();
  }

  private long publish(String api, String topic, String payload) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + "/v1/publish/" + topic + "?priority=HIGH"))
        .POST(HttpRequest.BodyPublishers.ofString(payload)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    Matcher m = SEQ.matcher(r.body());
    assertThat(m.find()).isTrue();
    return Long.parseLong(m.group(1));
  }

  private static List<Message> pendingAfterReopen(Path dataDir) {
    try (Outbox o = Outbox.open(dataDir, OutboxConfig.defaults())) {
      return o.lease(LeaseRequest.of(100_000)).messages();
    }
  }

  @Test
  void sigtermStopsAcceptingDrainsAndClosesTheStoreCleanly() throws Exception {
    Path dataDir = tmp.resolve("data");
    String api = startAgent(dataDir);
    for (int i = 0; i < 20; i++) {
      publish(api, "t", "r" + i);
    }
    process.destroy(); // SIGTERM
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as(log()).isTrue();
    assertThat(log()).contains("Agent stopped cleanly");
    assertThat(process.exitValue()).as("128 + SIGTERM, after the drain").isEqualTo(143);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("outbox.db"));
        ResultSet rs = c.createStatement().executeQuery("SELECT value FROM meta WHERE key = 'clean'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong(1)).as("the store was closed cleanly").isEqualTo(1);
    }
    assertThat(AgentLock.probe(dataDir)).isEmpty();
    assertThat(pendingAfterReopen(dataDir)).hasSize(20);
  }

  @Test
  void sigkillLosesNoAcknowledgedPublish() throws Exception {
    Path dataDir = tmp.resolve("data");
    String api = startAgent(dataDir);
    Map<Long, String> acked = new ConcurrentHashMap<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < 100; i++) {
            String payload = "p-" + thread + "-" + i;
            acked.put(publish(api, "t" + thread, payload), payload);
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
    }
    process.destroyForcibly(); // SIGKILL right after the last 202
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(log()).doesNotContain("Agent stopped cleanly");

    Optional<AgentLock.Running> stale = AgentLock.probe(dataDir);
    assertThat(stale).as("the OS dropped the lock with the process").isEmpty();
    Map<Long, String> stored = new ConcurrentHashMap<>();
    for (Message m : pendingAfterReopen(dataDir)) {
      stored.put(m.seq(), new String(m.payload(), StandardCharsets.UTF_8));
    }
    assertThat(stored).containsAllEntriesOf(acked);
    assertThat(acked).hasSize(400);
  }

  @Test
  void aSecondAgentOnTheSameDataDirIsRefused() throws Exception {
    Path dataDir = tmp.resolve("data");
    startAgent(dataDir);
    Map<String, String> flags = Map.of("server-url", "http://127.0.0.1:1", "device-id", "dev-1",
        "token", "test-token-123", "data-dir", dataDir.toString(), "api.port", "0");
    AgentConfig config = AgentConfig.load(null, Map.of(), flags, true);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Agent.start(config))
        .hasMessageContaining("another agent already runs on data dir " + dataDir)
        .hasMessageContaining("pid " + process.pid());
  }
}
