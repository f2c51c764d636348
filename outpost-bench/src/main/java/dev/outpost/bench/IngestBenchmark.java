package dev.outpost.bench;

import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.RecordResult;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import dev.outpost.server.ServerStore;
import dev.outpost.server.StoreKind;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ingest throughput of the server (HTTP + auth + decode + dedupe + durable commit) against the
 * raw insert rate of the same store measured in the same run: plain JDBC batch inserts of the
 * same rows into the same schema, in big transactions, one connection. After a warm-up round,
 * the raw rate is taken before and after the HTTP phase and the higher one is the baseline (the machine may be busy;
 * the higher baseline gives the lower, honest ratio). The ratio is the figure of merit (target:
 * HTTP keeps at least 50% of raw).
 *
 * <p>Clients are JDK HttpClients on this machine posting binary batches of 100..1000 records
 * over loopback, each as its own device; they share the CPU with the server, so the HTTP figure
 * is a lower bound. PostgreSQL runs only if {@code pgAdminUrl} answers; each run creates and
 * drops its own databases.
 */
public final class IngestBenchmark {
  /** What to run. */
  public record Options(int clients, Duration httpDuration, int rawRecords, int minBatch, int maxBatch,
      int payloadBytes, Path workDir, String pgAdminUrl, long seed) {
    public static Options defaults() {
      return new Options(8, Duration.ofSeconds(12), 200_000, 100, 1000, 100, null,
          "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres", 42);
    }
  }

  /** One store's figures. */
  public record StoreResult(String store, long rawRecords, double rawPerSecond, long httpRecords,
      double httpPerSecond, long httpRequests) {
    public double ratio() {
      return httpPerSecond / rawPerSecond;
    }
  }

  public record Result(List<StoreResult> stores) {}

  private static final String[] TOPICS = {"sensors/0", "sensors/1", "sensors/2", "sensors/3"};

  private IngestBenchmark() {}

  public static void main(String[] args) throws Exception {
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING); // Helidon logs through JUL
    Options o = Options.defaults();
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      o = switch (args[i]) {
        case "--clients" -> new Options(Integer.parseInt(v), o.httpDuration(), o.rawRecords(), o.minBatch(), o.maxBatch(), o.payloadBytes(), o.workDir(), o.pgAdminUrl(), o.seed());
        case "--seconds" -> new Options(o.clients(), Duration.ofSeconds(Long.parseLong(v)), o.rawRecords(), o.minBatch(), o.maxBatch(), o.payloadBytes(), o.workDir(), o.pgAdminUrl(), o.seed());
        case "--raw-records" -> new Options(o.clients(), o.httpDuration(), Integer.parseInt(v), o.minBatch(), o.maxBatch(), o.payloadBytes(), o.workDir(), o.pgAdminUrl(), o.seed());
        case "--pg-url" -> new Options(o.clients(), o.httpDuration(), o.rawRecords(), o.minBatch(), o.maxBatch(), o.payloadBytes(), o.workDir(), v.equals("none") ? null : v, o.seed());
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (known: --clients N, --seconds S, --raw-records N, --pg-url URL|none)");
      };
    }
    run(o, System.out);
  }

  public static Result run(Options o, PrintStream out) throws Exception {
    Path work = o.workDir() != null ? o.workDir() : Files.createTempDirectory("outpost-ingest-bench-");
    out.printf("ingest benchmark: %d clients, batches %d..%d records of %d-byte payloads, %ds HTTP phase, %d raw rows%n",
        o.clients(), o.minBatch(), o.maxBatch(), o.payloadBytes(), o.httpDuration().toSeconds(), o.rawRecords());
    List<StoreResult> results = new ArrayList<>();
    results.add(sqlite(o, work, out));
    if (o.pgAdminUrl() != null && answers(o.pgAdminUrl())) {
      results.add(postgres(o, out));
    } else {
      out.println("postgres: skipped (nothing answers at " + o.pgAdminUrl() + ")");
    }
    out.println();
    out.printf("%-9s %14s %14s %8s %10s%n", "store", "raw rec/s", "http rec/s", "ratio", "requests");
    for (StoreResult r : results) {
      out.printf("%-9s %,14.0f %,14.0f %7.0f%% %,10d%n", r.store(), r.rawPerSecond(), r.httpPerSecond(),
          100 * r.ratio(), r.httpRequests());
    }
    return new Result(results);
  }

  private static StoreResult sqlite(Options o, Path work, PrintStream out) throws Exception {
    Path rawDir = work.resolve("sqlite-raw");
    ServerStore.open(ServerConfig.builder().dataDir(rawDir).build()).close(); // creates the schema
    ServerConfig config = ServerConfig.builder().port(0).dataDir(work.resolve("sqlite-http")).adminToken("bench-admin").build();
    return measure("sqlite", rawDir.resolve("server.db").toString(), null, config, o, out);
  }

  private static StoreResult postgres(Options o, PrintStream out) throws Exception {
    String rawDb = createDatabase(o.pgAdminUrl());
    String httpDb = createDatabase(o.pgAdminUrl());
    try {
      String rawUrl = databaseUrl(o.pgAdminUrl(), rawDb);
      ServerStore.open(ServerConfig.builder().pgUrl(rawUrl).build()).close(); // creates the schema
      ServerConfig config = ServerConfig.builder().port(0).store(StoreKind.POSTGRES)
          .pgUrl(databaseUrl(o.pgAdminUrl(), httpDb)).pgPoolSize(Math.max(4, o.clients())).adminToken("bench-admin").build();
      return measure("postgres", null, rawUrl + "&reWriteBatchedInserts=true", config, o, out);
    } finally {
      dropDatabase(o.pgAdminUrl(), rawDb);
      dropDatabase(o.pgAdminUrl(), httpDb);
    }
  }

  /**
   * Raw rate before and after the HTTP phase, and the higher of the two is the baseline: the
   * machine may be busy with other work, and the higher raw rate gives the lower, honest ratio.
   */
  private static StoreResult measure(String name, String sqliteFile, String pgUrl, ServerConfig config,
      Options o, PrintStream out) throws Exception {
    raw(sqliteFile, pgUrl, o, 2L * o.rawRecords()); // warm-up (JIT, driver, caches), not counted
    double before = raw(sqliteFile, pgUrl, o, 0);
    StoreResult http = http(name, config, o, out);
    double after = raw(sqliteFile, pgUrl, o, o.rawRecords());
    double raw = Math.max(before, after);
    out.printf("%s raw: %,.0f rows/s before, %,.0f rows/s after the HTTP phase%n", name, before, after);
    return new StoreResult(name, o.rawRecords(), raw, http.httpRecords(), http.httpPerSecond(), http.httpRequests());
  }

  private static double raw(String sqliteFile, String pgUrl, Options o, long firstSeq) throws SQLException {
    try (Connection c = DriverManager.getConnection(sqliteFile != null ? "jdbc:sqlite:" + sqliteFile : pgUrl)) {
      if (sqliteFile != null) {
        try (Statement s = c.createStatement()) {
          s.execute("PRAGMA journal_mode=WAL");
          s.execute("PRAGMA synchronous=FULL");
        }
      }
      return rawInsert(c, o, firstSeq);
    }
  }

  /** Plain JDBC: the same rows, batched, committed every 10,000 rows. Returns rows per second. */
  private static double rawInsert(Connection c, Options o, long firstSeq) throws SQLException {
    c.setAutoCommit(false);
    Random rnd = new Random(o.seed());
    byte[] payload = payload(rnd, o.payloadBytes());
    String[] devices = new String[o.clients()];
    for (int d = 0; d < devices.length; d++) {
      devices[d] = "raw-" + d;
    }
    long start = System.nanoTime();
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO messages (device_id, epoch, seq, topic, priority, ts, received_at, headers, payload)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (int i = 1; i <= o.rawRecords(); i++) {
        ps.setString(1, devices[i % devices.length]);
        ps.setLong(2, 1);
        ps.setLong(3, firstSeq + i);
        ps.setString(4, TOPICS[i % 4]);
        ps.setInt(5, i % 4);
        ps.setLong(6, 1_700_000_000_000L + i);
        ps.setLong(7, System.currentTimeMillis());
        ps.setString(8, null);
        ps.setBytes(9, payload);
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
    return o.rawRecords() / ((System.nanoTime() - start) / 1e9);
  }

  private static StoreResult http(String name, ServerConfig config, Options o, PrintStream out)
      throws Exception {
    AtomicLong stored = new AtomicLong();
    AtomicLong requests = new AtomicLong();
    long elapsed;
    try (OutpostServer server = OutpostServer.start(config);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ExecutorService pool = Executors.newFixedThreadPool(o.clients())) {
      List<String> tokens = new ArrayList<>();
      for (int i = 0; i < o.clients(); i++) {
        tokens.add(server.devices().add("bench-" + i));
      }
      URI uri = URI.create(server.url() + "/v1/ingest");
      long start = System.nanoTime();
      long deadline = start + o.httpDuration().toNanos();
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < o.clients(); i++) {
        int id = i;
        fs.add(pool.submit(() -> {
          Random rnd = new Random(o.seed() + id);
          byte[] payload = payload(rnd, o.payloadBytes());
          long seq = 1;
          while (System.nanoTime() < deadline) {
            int n = o.minBatch() + rnd.nextInt(o.maxBatch() - o.minBatch() + 1);
            List<Message> ms = new ArrayList<>(n);
            for (int k = 0; k < n; k++, seq++) {
              ms.add(new Message(seq, TOPICS[(int) (seq % 4)], Priority.ofRank((int) (seq % 4)),
                  1_700_000_000_000L + seq, Map.of(), payload));
            }
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri)
                    .header("Authorization", "Bearer " + tokens.get(id))
                    .header("Content-Type", WireCodec.BINARY)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(WireCodec.encodeBinary(new Batch("bench-" + id, 1, ms))))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
              throw new IOException("ingest answered " + r.statusCode() + ": " + new String(r.body()));
            }
            long ok = WireCodec.decodeResult(r.body()).results().stream()
                .filter(x -> x.status() == RecordResult.Status.STORED).count();
            stored.addAndGet(ok);
            requests.incrementAndGet();
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      elapsed = System.nanoTime() - start;
    }
    double rate = stored.get() / (elapsed / 1e9);
    out.printf("%s http: %,.0f records/s (%,d records in %,d requests)%n", name, rate, stored.get(), requests.get());
    return new StoreResult(name, 0, 0, stored.get(), rate, requests.get());
  }

  private static byte[] payload(Random rnd, int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) ('a' + rnd.nextInt(26));
    }
    return b;
  }

  private static boolean answers(String url) {
    try (Connection c = DriverManager.getConnection(url)) {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  private static String createDatabase(String adminUrl) throws SQLException {
    String name = "outpost_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return name;
  }

  private static void dropDatabase(String adminUrl, String name) throws SQLException {
    try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }

  /** The admin URL with its database name replaced: .../postgres?user=x becomes .../NAME?user=x. */
  static String databaseUrl(String adminUrl, String db) {
    int q = adminUrl.indexOf('?');
    String base = q < 0 ? adminUrl : adminUrl.substring(0, q);
    String params = q < 0 ? "?" : adminUrl.substring(q);
    return base.substring(0, base.lastIndexOf('/') + 1) + db + (params.equals("?") ? "?ApplicationName=outpost-bench" : params);
  }
}
