package dev.outpost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.outpost.agent.Agent;
import dev.outpost.agent.AgentJvmOptions;
import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.Hlc;
import dev.outpost.core.sync.SyncBinary;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The device side of two-way sync, with agents as users run them (child JVMs with the shipped
 * flags) against a server child that holds the catalogue:
 *
 * <ul>
 *   <li><b>Initial sync</b>: an agent with an empty store subscribed to the catalogue pulls and
 *       applies all of it; documents applied per second, next to a raw SQLite insert of rows of the
 *       same sizes into the same table in the same run; the agent's RSS sampled all along.
 *   <li><b>Propagation</b>: device A's write through its API to device B's local read, both
 *       online: p50 / p99.
 *   <li><b>Local writes</b> through the agent API (durable with their op): p50 / p99; and local
 *       reads per second (4 clients).
 * </ul>
 */
final class DeviceSyncBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Result(long docs, double applyPerSecond, double rawInsertPerSecond, long rssFirstKiB, long rssMaxKiB,
      double propagationP50Ms, double propagationP99Ms, double writeP50Ms, double writeP99Ms, double readsPerSecond) {}

  private DeviceSyncBenchmark() {}

  static Result run(SyncBenchmark.ServerChild server, int catalogDocs, int devicesBase, int propagationWrites,
      int localWrites, Duration readPhase, Path dir, PrintStream out) throws Exception {
    Files.createDirectories(dir);
    Path catalogOnly = Files.writeString(dir.resolve("catalog.yaml"), "collections:\n  catalog:\n    devices: read\n");
    Path ordersOnly = Files.writeString(dir.resolve("orders.yaml"),
        "collections:\n  orders:\n    counters: [qty]\n    devices: read-write\n");
    double raw = rawInsert(dir.resolve("raw.db"), catalogDocs);
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      long[] rss = {-1, -1};
      double apply;
      try (AgentChild a = AgentChild.start(dir.resolve("agent-a"), server, devicesBase, catalogOnly)) {
        long processStart = System.nanoTime();
        a.awaitApi(http); // the agent is up and its downlink pulling: the sync is timed from here
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MINUTES.toNanos(10);
        long applied = 0;
        while (applied < catalogDocs) {
          if (System.nanoTime() > deadline || !a.process.isAlive()) {
            throw new IllegalStateException("the agent applied " + applied + " of " + catalogDocs + " documents"
                + (a.process.isAlive() ? " in 10 minutes" : " and died") + "; its log: " + a.log);
          }
          JsonNode status = a.status(http);
          applied = status == null ? 0 : status.path("replica").path("last_change").asLong();
          long r = AgentFootprint.rssKiB(a.process.pid());
          if (applied >= catalogDocs / 10 && rss[0] < 0) {
            rss[0] = r; // a tenth of the way: what it holds before the rest arrives
          }
          rss[1] = Math.max(rss[1], r);
          Thread.sleep(50); // a sampling period, not a wait for a condition: the loop above bounds it
        }
        apply = catalogDocs / ((System.nanoTime() - start) / 1e9);
        out.printf(Locale.ROOT, "initial sync: the agent used %.1f s of CPU in %.1f s; the server %.1f s in all so far%n",
            a.process.info().totalCpuDuration().map(d -> d.toMillis() / 1000.0).orElse(-1.0),
            (System.nanoTime() - start) / 1e9, ProcessHandle.of(server.pid()).flatMap(h -> h.info().totalCpuDuration())
                .map(d -> d.toMillis() / 1000.0).orElse(-1.0));
        out.printf(Locale.ROOT, "initial sync: %,d documents applied by a new agent at %,.0f docs/s (from its API"
            + " answering; %,.0f docs/s from its process start), raw SQLite insert %,.0f rows/s; agent RSS %,d KiB at 10%%,"
            + " %,d KiB at most%n", catalogDocs, apply, catalogDocs / ((System.nanoTime() - processStart) / 1e9), raw,
            rss[0], rss[1]);
      }
      try (AgentChild b = AgentChild.start(dir.resolve("agent-b"), server, devicesBase + 1, ordersOnly);
          AgentChild c = AgentChild.start(dir.resolve("agent-c"), server, devicesBase + 2, ordersOnly)) {
        b.awaitApi(http);
        c.awaitApi(http);
        double[] propagation = new double[propagationWrites];
        for (int i = 0; i < propagationWrites; i++) {
          String value = "v" + i;
          long t0 = System.nanoTime();
          b.call(http, "PATCH", "/v1/docs/orders/prop-1", "{\"status\":\"" + value + "\"}");
          long until = t0 + TimeUnit.SECONDS.toNanos(30);
          while (true) {
            HttpResponse<String> r = c.call(http, "GET", "/v1/docs/orders/prop-1", null);
            if (r.statusCode() == 200 && JSON.readTree(r.body()).path("doc").path("status").asText().equals(value)) {
              break;
            }
            if (System.nanoTime() > until) {
              throw new IllegalStateException("device C did not read device B's write " + i + " within 30 s");
            }
            Thread.sleep(1); // polling period of C's local read: the measurement's resolution
          }
          propagation[i] = (System.nanoTime() - t0) / 1e6;
        }
        double[] writes = new double[localWrites];
        for (int i = 0; i < localWrites; i++) {
          long t0 = System.nanoTime();
          HttpResponse<String> r = b.call(http, "PATCH", "/v1/docs/orders/lat-" + (i % 1000), "{\"qty\":{\"$inc\":1}}");
          writes[i] = (System.nanoTime() - t0) / 1e6;
          if (r.statusCode() != 200) {
            throw new IllegalStateException("a local write answered " + r.statusCode() + ": " + r.body());
          }
        }
        double reads = reads(http, b, readPhase, Math.min(localWrites, 1000));
        Arrays.sort(propagation);
        Arrays.sort(writes);
        out.printf(Locale.ROOT, "propagation device to device: p50 %.1f ms, p99 %.1f ms (%d writes); local writes"
            + " through the agent API: p50 %.2f ms, p99 %.2f ms (%d); local reads %,.0f/s (4 clients)%n",
            pct(propagation, 50), pct(propagation, 99), propagationWrites, pct(writes, 50), pct(writes, 99), localWrites, reads);
        return new Result(catalogDocs, apply, raw, rss[0], rss[1], pct(propagation, 50), pct(propagation, 99),
            pct(writes, 50), pct(writes, 99), reads);
      }
    }
  }

  private static double pct(double[] sorted, int p) {
    return sorted[Math.max(0, (int) Math.ceil(sorted.length * p / 100.0) - 1)];
  }

  private static double reads(HttpClient http, AgentChild agent, Duration phase, int ids) throws Exception {
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + phase.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    long start = System.nanoTime();
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int id = t;
        fs.add(pool.submit(() -> {
          for (long i = id; System.nanoTime() < end; i += 4) {
            HttpResponse<String> r = agent.call(http, "GET", "/v1/docs/orders/lat-" + (i % ids), null);
            if (r.statusCode() != 200) {
              throw new IllegalStateException("a local read answered " + r.statusCode());
            }
            done.incrementAndGet();
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return done.get() / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * The ceiling: rows of the sizes the catalogue's documents have (state and view measured on one
   * of them) inserted into the replica's table by plain JDBC, 10,000 per transaction.
   */
  private static double rawInsert(Path file, int rows) throws Exception {
    Document sample = new Document("catalog", "item-0");
    Map<String, JsonNode> fields = new LinkedHashMap<>();
    fields.put("sku", TextNode.valueOf("SKU-100000"));
    fields.put("name", TextNode.valueOf("Hex bolt M4 x 10 mm, zinc plated"));
    fields.put("price", JSON.getNodeFactory().numberNode(0.05));
    fields.put("unit", TextNode.valueOf("box of 100"));
    fields.put("supplier", TextNode.valueOf("Werkzeug GmbH 7"));
    fields.put("bin", TextNode.valueOf("A-0-0"));
    fields.put("updated", TextNode.valueOf("2026-12-01"));
    sample.apply(sample.patch(new Hlc(System.currentTimeMillis(), 0, "server-0123456789ab"), fields));
    byte[] state = SyncBinary.encode(sample);
    String view = sample.viewJson();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=FULL");
        s.execute("CREATE TABLE replica_docs (collection TEXT NOT NULL, id TEXT NOT NULL, state BLOB NOT NULL,"
            + " view TEXT, change INTEGER NOT NULL, gen INTEGER NOT NULL, PRIMARY KEY (collection, id))");
        s.execute("CREATE INDEX replica_docs_change ON replica_docs (change)");
      }
      c.setAutoCommit(false);
      long start = System.nanoTime();
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO replica_docs VALUES (?, ?, ?, ?, ?, 0)")) {
        for (int i = 1; i <= rows; i++) {
          ps.setString(1, "catalog");
          ps.setString(2, "item-" + i);
          ps.setBytes(3, state);
          ps.setString(4, view);
          ps.setLong(5, i);
          ps.addBatch();
          if (i % 1000 == 0) {
            ps.executeBatch();
          }
          if (i % 10_000 == 0) {
            c.commit();
          }
        }
        ps.executeBatch();
        c.commit();
      }
      return rows / ((System.nanoTime() - start) / 1e9);
    }
  }

  /** An agent as a user runs it (the shipped JVM flags), with a replica config, on a free port. */
  static final class AgentChild implements AutoCloseable {
    final Process process;
    final int port;
    final Path log;

    private AgentChild(Process process, int port, Path log) {
      this.process = process;
      this.port = port;
      this.log = log;
    }

    static AgentChild start(Path dataDir, SyncBenchmark.ServerChild server, int device, Path replicaConfig)
        throws IOException {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      Files.createDirectories(dataDir);
      String java = ProcessHandle.current().info().command().orElse("java");
      List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
      cmd.addAll(AgentJvmOptions.shipped());
      String extra = System.getenv("OUTPOST_BENCH_AGENT_OPTS"); // e.g. a profiler's flags
      if (extra != null && !extra.isBlank()) {
        cmd.addAll(List.of(extra.trim().split("\\s+")));
      }
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Agent.class.getName(),
          "server-url=" + server.url(), "device-id=bench-" + device, "token=" + server.tokens().get(device),
          "data-dir=" + dataDir, "api.port=" + port, "replica.config=" + replicaConfig, "sync.linger=5ms"));
      Path log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("OUTPOST_"));
      return new AgentChild(pb.start(), port, log);
    }

    HttpResponse<String> call(HttpClient http, String method, String path, String body) throws Exception {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30))
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
          .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status document, or null while the API does not answer yet. */
    JsonNode status(HttpClient http) throws Exception {
      try {
        HttpResponse<String> r = call(http, "GET", "/v1/status", null);
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
      } catch (IOException e) {
        return null;
      }
    }

    void awaitApi(HttpClient http) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (status(http) == null) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("the agent did not start; its log: " + Files.readString(log));
        }
        Thread.sleep(20); // start-up polling period, bounded by the deadline above
      }
    }

    @Override
    public void close() throws Exception {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
      }
    }
  }
}
