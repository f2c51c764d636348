package dev.outpost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.RecordResult;
import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.HlcClock;
import dev.outpost.core.sync.Op;
import dev.outpost.core.sync.PullPage;
import dev.outpost.core.sync.SyncJson;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.wire.Protocol;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import dev.outpost.server.SyncCollections;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two-way sync on the server, as a user runs it: the server is a child JVM with default settings
 * (SQLite store), the clients are this process over loopback.
 *
 * <ol>
 *   <li><b>Merge through ingest</b>: 8 devices send their document ops ({@code $sync} records:
 *       patches of their own work orders, increments of shared stock counters) through the
 *       ordinary ingest, next to the same devices' plain records of the same size in the same run
 *       (before and after; the higher is the baseline).
 *   <li><b>Pull</b>: a subscription of N documents (about 200 B of fields each) imported through
 *       the back-office API, pulled by one device from an empty cursor, binary + zstd, every page
 *       decoded into documents as a device must; the server's RSS sampled at every page. Next to
 *       it: the store's own read of the same rows (JDBC on the same file), and the JSON pull.
 *   <li><b>Wire bytes per changed document</b>: a back-office change of one field of some
 *       documents, pulled binary + zstd, next to the JSON pull of the same changes.
 * </ol>
 */
public final class SyncBenchmark {
  /** What to run. */
  public record Options(int devices, Duration mergeDuration, int docs, int changed, Path dir, long seed) {
    public static Options defaults(Path dir) {
      return new Options(8, Duration.ofSeconds(10), 1_000_000, 10_000, dir, 42);
    }
  }

  /** Figures of one run; RSS in KiB (-1 where /proc is missing). */
  public record Result(double plainPerSecond, double mergePerSecond, long docs, double loadSeconds,
      double rawReadPerSecond, double pullPerSecond, double jsonPullPerSecond, long rssFirstPageKiB, long rssMaxKiB,
      double wireBytesPerChangedDoc, double jsonBytesPerChangedDoc, double wireBytesPerDoc, DeviceSyncBenchmark.Result device) {}

  static final String ADMIN = "bench-admin";
  private static final String SYNC_CONFIG = """
      collections:
        orders:
          counters: [qty]
          devices: read-write
        stock:
          counters: [onHand]
          devices: read-write
        catalog:
          devices: read
      """;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int IMPORT_CHUNK = 5000;
  private static final int PULL_LIMIT = 10_000;

  private SyncBenchmark() {}

  public static void main(String[] args) throws Exception {
    run(Options.defaults(Files.createTempDirectory("outpost-sync-bench-")), System.out);
  }

  public static Result run(Options o, PrintStream out) throws Exception {
    Files.createDirectories(o.dir());
    out.printf(Locale.ROOT, "sync benchmark: %d devices, %ds merge phase, %,d-document pull, %,d changed%n",
        o.devices(), o.mergeDuration().toSeconds(), o.docs(), o.changed());
    // devices: the plain and merging ones, the puller, and three agents
    try (ServerChild server = ServerChild.start(o.dir().resolve("server"), o.devices() * 2 + 4, out);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      Duration half = o.mergeDuration().dividedBy(2);
      warmUp(http, server, o, out);
      double plainBefore = ingest(http, server, o, 0, half, false, out);
      double merge = ingest(http, server, o, o.devices(), o.mergeDuration(), true, out);
      double plainAfter = ingest(http, server, o, 0, half, false, out);
      double plain = Math.max(plainBefore, plainAfter);

      long t0 = System.nanoTime();
      importCatalog(http, server, o.docs(), 0, o.seed());
      double loadSeconds = (System.nanoTime() - t0) / 1e9;
      out.printf(Locale.ROOT, "imported %,d documents in %.1f s (%,.0f docs/s)%n", o.docs(), loadSeconds, o.docs() / loadSeconds);
      double raw = rawRead(server.dataDir().resolve("server.db"), o.docs());
      String device = server.tokens().get(o.devices() * 2);
      Pull binary = pull(http, server, device, null, true, Long.MAX_VALUE);
      Pull json = pull(http, server, device, null, false, Math.min(o.docs(), 200_000));
      out.printf(Locale.ROOT, "pull: binary+zstd %,.0f docs/s (%.1f B/doc), JSON %,.0f docs/s (%.1f B/doc), raw read %,.0f rows/s;"
              + " server RSS %,d KiB after the first page, %,d KiB at most%n", binary.perSecond(), binary.bytesPerDoc(),
          json.perSecond(), json.bytesPerDoc(), raw, binary.rssFirstKiB(), binary.rssMaxKiB());
      if (binary.docs() < o.docs()) {
        throw new IllegalStateException("the pull returned " + binary.docs() + " documents of " + o.docs());
      }

      importCatalog(http, server, o.changed(), 1, o.seed()); // one field changed in each
      Pull changedBinary = pull(http, server, device, binary.cursor(), true, Long.MAX_VALUE);
      Pull changedJson = pull(http, server, device, binary.cursor(), false, Long.MAX_VALUE);
      if (changedBinary.docs() != o.changed() || changedJson.docs() != o.changed()) {
        throw new IllegalStateException("the changed-documents pull returned " + changedBinary.docs() + " (binary) and "
            + changedJson.docs() + " (JSON) documents, not " + o.changed());
      }
      out.printf(Locale.ROOT, "changed documents: %.1f B/doc binary+zstd, %.1f B/doc JSON%n",
          changedBinary.bytesPerDoc(), changedJson.bytesPerDoc());
      DeviceSyncBenchmark.Result agents = DeviceSyncBenchmark.run(server, o.docs(), o.devices() * 2 + 1,
          o.docs() >= 100_000 ? 100 : 10, o.docs() >= 100_000 ? 1000 : 50, Duration.ofSeconds(o.docs() >= 100_000 ? 3 : 1),
          o.dir().resolve("devices"), out);
      return new Result(plain, merge, o.docs(), loadSeconds, raw, binary.perSecond(), json.perSecond(),
          binary.rssFirstKiB(), binary.rssMaxKiB(), changedBinary.bytesPerDoc(), changedJson.bytesPerDoc(),
          binary.bytesPerDoc(), agents);
    }
  }

  // ---- merge through ingest --------------------------------------------------------------------

  /**
   * Runs both paths, not counted, until the server's JIT compilers have settled: a long-running
   * server compiles its hot paths once, and on a small machine those compilations (seconds of CPU
   * for the merge path) would otherwise be measured as ingest. Settled: the compiler threads used
   * under 5% of a round's time. At most 12 rounds; a run that never settles says so.
   */
  private static void warmUp(HttpClient http, ServerChild server, Options o, PrintStream out) throws Exception {
    Duration round = o.mergeDuration().dividedBy(4);
    PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
    double compiling = 1;
    int rounds = 0;
    while (rounds < 12 && compiling >= 0.05) {
      double before = compilerCpuSeconds(server.pid());
      long t0 = System.nanoTime();
      ingest(http, server, o, 0, round, false, quiet);
      ingest(http, server, o, o.devices(), round, true, quiet);
      rounds++;
      double after = compilerCpuSeconds(server.pid());
      compiling = before < 0 || after < 0 ? 0 : (after - before) / ((System.nanoTime() - t0) / 1e9);
    }
    out.printf(Locale.ROOT, "warm-up: %d rounds of both paths; the server's JIT compilers used %.0f%% of the last one%s%n",
        rounds, compiling * 100, compiling >= 0.05 ? " (not settled: the figures below include compilation)" : "");
  }

  /** CPU seconds of the JVM's JIT compiler threads in {@code pid} (-1 without /proc). */
  static double compilerCpuSeconds(long pid) {
    Path tasks = Path.of("/proc/" + pid + "/task");
    if (!Files.isDirectory(tasks)) {
      return -1;
    }
    long ticks = 0;
    try (var ds = Files.newDirectoryStream(tasks)) {
      for (Path t : ds) {
        String stat;
        try {
          stat = Files.readString(t.resolve("stat"));
        } catch (IOException gone) {
          continue; // the thread ended
        }
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        String comm = stat.substring(open + 1, close);
        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
          String[] f = stat.substring(close + 2).split(" ");
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return ticks / 100.0; // USER_HZ is 100 on Linux
  }

  /**
   * Devices {@code first .. first+devices-1} post batches of 100..1000 records for {@code duration}:
   * document ops ({@code sync}) or plain records of about the same size. Returns records/s stored.
   */
  private static double ingest(HttpClient http, ServerChild server, Options o, int first, Duration duration, boolean sync,
      PrintStream out) throws Exception {
    AtomicLong stored = new AtomicLong();
    URI uri = URI.create(server.url() + Protocol.INGEST_PATH);
    ExecutorService pool = Executors.newFixedThreadPool(o.devices());
    double serverCpu = cpuSeconds(server.pid());
    double clientCpu = cpuSeconds(ProcessHandle.current().pid());
    long start = System.nanoTime();
    long deadline = start + duration.toNanos();
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < o.devices(); i++) {
        int index = first + i;
        fs.add(pool.submit(() -> {
          String device = "bench-" + index;
          DeviceOps ops = new DeviceOps(device, new Random(o.seed() + index));
          Random rnd = new Random(o.seed() * 31 + index);
          while (System.nanoTime() < deadline) {
            int n = 100 + rnd.nextInt(901);
            List<Message> ms = new ArrayList<>(n);
            for (int k = 0; k < n; k++) {
              long seq = server.nextSeq(index);
              byte[] payload = ops.next();
              ms.add(new Message(seq, sync ? Protocol.SYNC_TOPIC : "telemetry", Priority.HIGH, System.currentTimeMillis(),
                  Map.of(), payload));
            }
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri)
                .header("Authorization", "Bearer " + server.tokens().get(index))
                .header("Content-Type", WireCodec.BINARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(WireCodec.encodeBinary(new Batch(device, 1, ms))))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
              throw new IOException("ingest answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
            }
            for (RecordResult x : WireCodec.decodeResult(r.body()).results()) {
              if (x.status() != RecordResult.Status.STORED) {
                throw new IOException("a record was not stored: " + x);
              }
            }
            stored.addAndGet(n);
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
    double rate = stored.get() / ((System.nanoTime() - start) / 1e9);
    // where the 2..n cores went: the server and the devices (this process) share the machine
    out.printf(Locale.ROOT, "%s: %,.0f records/s (%,d records, %d devices); CPU per record: server %.1f us, devices %.1f us%n",
        sync ? "merge of document ops through ingest" : "plain record ingest", rate, stored.get(), o.devices(),
        (cpuSeconds(server.pid()) - serverCpu) * 1e6 / stored.get(),
        (cpuSeconds(ProcessHandle.current().pid()) - clientCpu) * 1e6 / stored.get());
    return rate;
  }

  /** CPU time the process has used, in seconds (-1 where the OS does not say). */
  private static double cpuSeconds(long pid) {
    return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(d -> d.toNanos() / 1e9).orElse(-1.0);
  }

  /**
   * One device's writes: patches of its own work orders (status, note, site, assignee) and
   * increments of 20 shared stock counters, made from its own replica of those documents, as the
   * device library does; plain records get the same bytes.
   */
  private static final class DeviceOps {
    private final HlcClock clock;
    private final Random rnd;
    private final Map<String, Document> docs = new HashMap<>();
    private final String device;
    private int made;

    DeviceOps(String device, Random rnd) {
      this.device = device;
      this.clock = new HlcClock(device + ".s1", Clock.systemUTC(), Duration.ofSeconds(60));
      this.rnd = rnd;
    }

    byte[] next() {
      made++;
      Op op;
      if (rnd.nextInt(4) == 0) {
        Document d = docs.computeIfAbsent("sku-" + rnd.nextInt(20), id -> new Document("stock", id));
        op = d.increment(clock.now(), "onHand", rnd.nextInt(-3, 10));
        d.apply(op);
      } else {
        Document d = docs.computeIfAbsent("wo-" + device + "-" + rnd.nextInt(5000), id -> new Document("orders", id));
        Map<String, JsonNode> fields = new HashMap<>();
        fields.put("status", TextNode.valueOf(rnd.nextBoolean() ? "open" : "in-progress"));
        fields.put("note", TextNode.valueOf("replaced the seal on pump " + rnd.nextInt(1000) + ", pressure nominal"));
        fields.put("site", TextNode.valueOf("berlin-" + rnd.nextInt(4)));
        fields.put("visit", IntNode.valueOf(made));
        op = d.patch(clock.now(), fields);
        d.apply(op);
      }
      return SyncJson.encode(op);
    }
  }

  // ---- pull ----------------------------------------------------------------------------------------

  /**
   * Imports documents {@code catalog/item-0 .. item-(n-1)}, about 200 B of fields each; {@code round}
   * changes the price, so a second round changes one field of each.
   */
  private static void importCatalog(HttpClient http, ServerChild server, int n, int round, long seed) throws Exception {
    Random rnd = new Random(seed);
    URI uri = URI.create(server.url() + "/v1/docs/catalog");
    for (int from = 0; from < n; from += IMPORT_CHUNK) {
      StringBuilder b = new StringBuilder(IMPORT_CHUNK * 260).append("{\"docs\":[");
      for (int i = from; i < Math.min(n, from + IMPORT_CHUNK); i++) {
        if (i > from) {
          b.append(',');
        }
        b.append("{\"id\":\"item-").append(i).append("\",\"doc\":{\"sku\":\"SKU-").append(100_000 + i)
            .append("\",\"name\":\"Hex bolt M").append(4 + i % 20).append(" x ").append(10 + i % 90)
            .append(" mm, zinc plated\",\"price\":").append(round * 100 + (i % 5000) / 100.0 + 0.05)
            .append(",\"unit\":\"box of 100\",\"supplier\":\"Werkzeug GmbH ").append(rnd.nextInt(50))
            .append("\",\"bin\":\"A-").append(i % 400).append('-').append(i % 7)
            .append("\",\"updated\":\"2026-12-0").append(1 + round).append("\"}}");
      }
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
          .header("Authorization", "Bearer " + ADMIN)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(b.append("]}").toString()))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException("import answered " + r.statusCode() + ": " + r.body());
      }
    }
  }

  /** The store's own read of the feed's rows (what every pull must at least do), rows/s. */
  private static double rawRead(Path file, int rows) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      long start = System.nanoTime();
      long n = 0;
      long bytes = 0;
      try (PreparedStatement s = c.prepareStatement(
          "SELECT collection, id, state, view, seq, tx_end FROM docs WHERE collection = 'catalog' ORDER BY seq")) {
        s.setFetchSize(PULL_LIMIT);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            bytes += rs.getString(2).length() + rs.getBytes(3).length + rs.getString(4).length() + rs.getLong(5);
            n++;
          }
        }
      }
      if (n < rows || bytes == 0) {
        throw new IllegalStateException("raw read found " + n + " rows of " + rows);
      }
      return n / ((System.nanoTime() - start) / 1e9);
    }
  }

  record Pull(long docs, double perSecond, double bytesPerDoc, long rssFirstKiB, long rssMaxKiB, String cursor) {}

  /** Pulls from {@code cursor} until nothing more (or {@code atMost} documents), decoding every page. */
  private static Pull pull(HttpClient http, ServerChild server, String token, String cursor, boolean binary, long atMost)
      throws Exception {
    long docs = 0;
    long bytes = 0;
    long rssFirst = -1;
    long rssMax = -1;
    long start = System.nanoTime();
    for (int pages = 0; pages < 100_000; pages++) {
      HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(server.url() + "/v1/sync/pull?limit=" + PULL_LIMIT
          + (cursor == null ? "" : "&cursor=" + cursor))).header("Authorization", "Bearer " + token);
      if (binary) {
        rq.header("Accept", PullPage.BINARY).header("Accept-Encoding", "zstd");
      }
      HttpResponse<byte[]> r = http.send(rq.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new IOException("pull answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
      }
      bytes += r.body().length;
      boolean zstd = r.headers().firstValue("Content-Encoding").map("zstd"::equals).orElse(false);
      byte[] body = zstd ? ContentEncoding.ZSTD.decode(r.body(), 1 << 30) : r.body();
      PullPage page = binary ? PullPage.decodeBinary(body) : PullPage.decodeJson(body);
      for (PullPage.Change c : page.changes()) {
        if (c.removed() || c.state().view() == null) {
          throw new IllegalStateException("unexpected change in the benchmark's feed: " + c);
        }
      }
      docs += page.changes().size();
      cursor = page.cursor();
      long rss = AgentFootprint.rssKiB(server.pid());
      rssFirst = rssFirst < 0 ? rss : rssFirst;
      rssMax = Math.max(rssMax, rss);
      if (!page.more() || docs >= atMost) {
        break;
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Pull(docs, docs / seconds, docs == 0 ? 0 : (double) bytes / docs, rssFirst, rssMax, cursor);
  }

  // ---- the server child ------------------------------------------------------------------------------

  /** The server in its own JVM (JVM defaults, SQLite), with devices and their tokens. */
  static final class ServerChild implements AutoCloseable {
    private final Process process;
    private final String url;
    private final List<String> tokens;
    private final Path dataDir;
    private final long[] seqs;

    private ServerChild(Process process, String url, List<String> tokens, Path dataDir) {
      this.process = process;
      this.url = url;
      this.tokens = tokens;
      this.dataDir = dataDir;
      this.seqs = new long[tokens.size()];
    }

    static ServerChild start(Path dataDir, int devices, PrintStream out) throws Exception {
      Files.createDirectories(dataDir);
      String java = ProcessHandle.current().info().command().orElse("java");
      Path log = dataDir.resolve("server.log");
      List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
      String extra = System.getenv("OUTPOST_BENCH_SERVER_OPTS"); // e.g. a profiler's flags; JVM defaults otherwise
      if (extra != null && !extra.isBlank()) {
        cmd.addAll(List.of(extra.trim().split("\\s+")));
      }
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ServerChild.class.getName(), dataDir.toString(),
          String.valueOf(devices)));
      Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
      BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String ready = lines.readLine(); // the child prints READY when it listens, or dies
      for (int skipped = 0; ready != null && !ready.startsWith("READY ") && skipped < 50; skipped++) {
        ready = lines.readLine(); // what the JVM's own flags print (a profiler's banner)
      }
      if (ready == null || !ready.startsWith("READY ")) {
        p.destroyForcibly();
        throw new IllegalStateException("the server child did not start; its log:\n" + Files.readString(log));
      }
      String[] parts = ready.split(" ");
      out.println("server child pid " + p.pid() + " at " + parts[1]);
      return new ServerChild(p, parts[1], List.of(parts).subList(2, parts.length), dataDir);
    }

    /** The child: {@code <data dir> <devices>}; prints {@code READY <url> <token>...}, stops when stdin closes. */
    public static void main(String[] args) throws Exception {
      java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING); // Helidon logs through JUL
      try (OutpostServer server = OutpostServer.start(ServerConfig.builder().port(0).dataDir(Path.of(args[0]))
          .adminToken(ADMIN).syncCollections(SyncCollections.parse(SYNC_CONFIG, "the sync benchmark")).build())) {
        StringBuilder b = new StringBuilder("READY ").append(server.url());
        for (int i = 0; i < Integer.parseInt(args[1]); i++) {
          b.append(' ').append(server.devices().add("bench-" + i));
        }
        System.out.println(b);
        System.out.flush();
        while (System.in.read() >= 0) {
          // runs until the parent closes stdin (or dies)
        }
      }
    }

    String url() {
      return url;
    }

    List<String> tokens() {
      return tokens;
    }

    Path dataDir() {
      return dataDir;
    }

    long pid() {
      return process.pid();
    }

    synchronized long nextSeq(int device) {
      return ++seqs[device];
    }

    @Override
    public void close() throws Exception {
      process.getOutputStream().close();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
