package dev.outpost.sim.chaos;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.agent.Agent;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One agent as a child JVM on its own data dir, talking to the server through a fault proxy.
 * {@link #endpoint()} is what producers use: the running instance's API URL and store epoch, or
 * null while it is down. Restarts keep the data dir, so the epoch must stay the same (a new
 * epoch would mean the store was recreated). Start/kill from one thread; the rest is thread-safe.
 */
final class AgentChild implements AutoCloseable {
  /** A running agent instance as producers see it. */
  record Endpoint(URI api, long epoch) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  final String device;
  private final Path dataDir;
  private List<String> flags;
  private final ChildJvm jvm;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private volatile Endpoint endpoint;
  private volatile long firstEpoch;
  private volatile int kills;

  AgentChild(String device, Path dir, URI serverUrl, String token) throws IOException {
    this(device, dir, serverUrl, token, List.of());
  }

  /** With more agent flags, e.g. {@code replica.config=FILE}. */
  AgentChild(String device, Path dir, URI serverUrl, String token, List<String> more) throws IOException {
    this.device = device;
    this.dataDir = dir.resolve("data");
    Files.createDirectories(dir);
    this.jvm = new ChildJvm("agent " + device, dir.resolve("agent.log"));
    this.flags = List.of("server-url=" + serverUrl, "device-id=" + device, "token=" + token,
        "data-dir=" + dataDir, "api.port=0", "shutdown.drain-timeout=0s",
        "sync.linger=5ms", "sync.batch-max-records=500", "sync.connect-timeout=1s",
        "sync.request-timeout=2s", "sync.lease-timeout=5s", "sync.retry-initial=20ms",
        "sync.retry-cap=500ms", "sync.heartbeat-online=1s", "sync.heartbeat-offline-min=100ms",
        "sync.heartbeat-offline-max=500ms", "sync.health-report-interval=5s");
    if (!more.isEmpty()) {
      List<String> all = new ArrayList<>(this.flags);
      all.addAll(more);
      this.flags = List.copyOf(all);
    }
  }

  /** Starts the agent and waits (bounded) until its API answers with the store's epoch. */
  void start() throws IOException, InterruptedException {
    jvm.start("96m", Agent.class, flags);
    long pid = jvm.pid();
    URI[] api = new URI[1];
    await(jvm.name() + " ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> {
          if (!jvm.alive()) {
            throw new IllegalStateException(jvm.name() + " exited during start:\n" + jvm.logTail(3000));
          }
          api[0] = lockedApi(pid);
          return api[0] != null;
        });
    long epoch = Long.parseUnsignedLong(status(api[0]).path("epoch").asText(), 16);
    if (firstEpoch == 0) {
      firstEpoch = epoch;
    } else if (epoch != firstEpoch) {
      throw new IllegalStateException(jvm.name() + " came back with epoch " + Long.toHexString(epoch)
          + " instead of " + Long.toHexString(firstEpoch) + ": the store was recreated\n" + jvm.logTail(3000));
    }
    endpoint = new Endpoint(api[0], epoch);
  }

  /**
   * The API URL from the lock file once this very process wrote it. Read without locking: a
   * probe that takes the lock could make a starting agent fail to get it.
   */
  private URI lockedApi(long pid) throws IOException {
    Path f = dataDir.resolve("agent.lock");
    if (!Files.exists(f)) {
      return null;
    }
    String text = Files.readString(f).trim();
    if (text.isEmpty()) {
      return null;
    }
    try {
      JsonNode n = JSON.readTree(text);
      return n.path("pid").asLong() == pid && n.path("api").isTextual() ? URI.create(n.path("api").asText()) : null;
    } catch (IOException e) {
      return null; // caught between truncate and write
    }
  }

  void kill() throws InterruptedException {
    endpoint = null;
    jvm.kill();
    kills++;
  }

  Endpoint endpoint() {
    return endpoint;
  }

  int kills() {
    return kills;
  }

  /** {@code GET /v1/status} of the running instance. */
  JsonNode status() throws IOException, InterruptedException {
    Endpoint e = endpoint;
    if (e == null) {
      throw new IOException(jvm.name() + " is down");
    }
    return status(e.api());
  }

  private JsonNode status(URI api) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(api.resolve("/v1/status"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(jvm.name() + " status answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }

  String logTail() {
    return jvm.logTail(4000);
  }

  @Override
  public void close() throws InterruptedException {
    endpoint = null;
    jvm.kill();
    http.close();
  }

  static List<String> names(int n) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      names.add("chaos-" + (char) ('a' + i));
    }
    return names;
  }
}
