package dev.outpost.bench;

import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.edge.http.HttpTransport;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxStats;
import dev.outpost.edge.sync.SyncConfig;
import dev.outpost.edge.sync.SyncEngine;
import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import dev.outpost.server.StoredRecord;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * End-to-end uplink drain: one outbox with a backlog of telemetry-like records drains to one
 * in-process server over loopback HTTP. Measures records/s from the engine's start until the
 * outbox is empty and the server has acknowledged every record, the bytes on the wire per record
 * against the plain JSON of the same records (wire v1 JSON, uncompressed, same batches), and
 * requests per 1,000 records. The fill is not timed.
 *
 * <p>The baseline, measured in the same run, is the same pipeline tuned like today's bridges:
 * JSON, no compression, 100 records per request, one request at a time.
 *
 * <pre>
 * ./mvnw -B -q -pl outpost-bench -am package -DskipTests dependency:build-classpath \
 *     -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=runtime
 * java --enable-native-access=ALL-UNNAMED \
 *     -cp outpost-bench/target/outpost-bench-0.1.0-SNAPSHOT.jar:$(cat /tmp/cp.txt) \
 *     dev.outpost.bench.DrainBenchmark [--records=1000000] [--baseline-records=100000] \
 *     [--warmup-records=300000] [--batch=10000] [--in-flight=4] [--no-verify]
 * </pre>
 *
 * Add {@code -Dorg.slf4j.simpleLogger.log.dev.outpost.edge.sync.SyncEngine=debug} to see, per batch,
 * the lease time, the wait for its lane predecessor, the send time and the outbox settle time.
 * Not thread-safe; one run at a time (it starts its own server and outbox in a temp dir).
 */
public final class DrainBenchmark {

  /**
   * @param records backlog size of the measured run
   * @param payloadBytes approximate payload size (telemetry JSON)
   * @param topics topics the records spread over (each with NORMAL and a few HIGH records)
   * @param batchRecords records per request in the measured run
   * @param maxInFlight batches in flight in the measured run
   * @param baselineRecords backlog of the baseline run (0 skips it)
   * @param warmupRecords backlog of a drain run first with the measured run's settings, in its
   *     own stores, so the measured figure is the steady state of a running agent and server and
   *     not the JIT compiler's first pass over the drain's code (0 skips it; its rate is printed
   *     as the cold figure). 300,000 by default: after 100,000 the C2 compiler still took about
   *     0.8 us of CPU per record of the measured drain (10.6 against 9.8 us per record in all)
   * @param verify read everything back from the server after the timed part
   * @param workDir where stores go (a temp dir when null; deleted afterwards)
   */
  public record Options(
      int records, int payloadBytes, int topics, int batchRecords, int maxInFlight,
      int baselineRecords, int warmupRecords, boolean verify, Path workDir) {
    public static Options defaults() {
      return new Options(1_000_000, 200, 8, 10_000, 4, 100_000, 300_000, true, null);
    }
  }

  /** One drain. */
  /**
   * One drain. {@code cpuMicrosPerRecord}: CPU time per record during the drain, by thread group
   * (the outbox's writer, the server's store writer, virtual-thread carriers that run the sends
   * and the server's handlers, ...), from the JVM's per-thread CPU clocks.
   */
  public record Run(
      String name, long records, double seconds, long ingestRequests, long wireBytes,
      long bodyBytes, long jsonBytes, boolean verified, Map<String, Double> cpuMicrosPerRecord,
      double processCpuMicrosPerRecord) {
    public double recordsPerSecond() {
      return records / seconds;
    }

    public double wireBytesPerRecord() {
      return (double) wireBytes / records;
    }

    public double jsonBytesPerRecord() {
      return (double) jsonBytes / records;
    }

    public double wireShareOfJson() {
      return (double) wireBytes / jsonBytes;
    }

    public double requestsPer1000() {
      return ingestRequests * 1000.0 / records;
    }

    /** Cores the whole process used on average during the drain (JIT compiler and GC included). */
    public double processCores() {
      return processCpuMicrosPerRecord * records / 1e6 / seconds;
    }
  }

  /** The measured run, the baseline (null if skipped) and the warm-up (null if skipped). */
  public record Result(Run measured, Run baseline, Run warmup) {
    public void print(PrintStream out) {
      out.println();
      out.println("Uplink drain, one outbox -> one server over loopback (fill not timed)");
      out.printf(Locale.ROOT, "%-34s %10s %9s %12s %12s %9s %10s %9s%n", "run", "records", "seconds",
          "records/s", "wire B/rec", "JSON B/rec", "wire/JSON", "req/1000");
      for (Run r : baseline == null ? List.of(measured) : List.of(measured, baseline)) {
        out.printf(Locale.ROOT, "%-34s %10d %9.2f %12.0f %12.1f %9.1f %9.1f%% %9.2f%s%n", r.name(), r.records(),
            r.seconds(), r.recordsPerSecond(), r.wireBytesPerRecord(), r.jsonBytesPerRecord(),
            100 * r.wireShareOfJson(), r.requestsPer1000(), r.verified() ? "" : "  (NOT verified)");
      }
      out.print("CPU per record during the measured drain (us):");
      measured.cpuMicrosPerRecord().forEach((k, v) -> out.printf(Locale.ROOT, " %s %.1f;", k, v));
      out.println();
      double total = measured.cpuMicrosPerRecord().getOrDefault("total", 0.0);
      double busiest = measured.cpuMicrosPerRecord().values().stream()
          .filter(v -> v < total).max(Double::compare).orElse(total);
      out.printf(Locale.ROOT, "the drain got %.2f cores on average (of %d; a shared machine gives less);"
          + " one thread alone needs %.1f us/record, a ceiling of %.0f records/s however idle the machine%n",
          total * measured.records() / 1e6 / measured.seconds(), Runtime.getRuntime().availableProcessors(),
          busiest, 1e6 / busiest);
      out.printf(Locale.ROOT, "the whole process (JIT compiler, GC and all threads) used %.1f us of CPU per"
          + " record, %.2f cores%n", measured.processCpuMicrosPerRecord(), measured.processCores());
      if (warmup != null) {
        out.printf(Locale.ROOT, "measured after a warm-up drain of %d records in the same JVM (own stores);"
            + " that first, cold drain ran at %.0f records/s with %.1f us of process CPU per record%n",
            warmup.records(), warmup.recordsPerSecond(), warmup.processCpuMicrosPerRecord());
      }
      if (baseline != null) {
        out.printf(Locale.ROOT, "speed-up vs baseline: %.1fx records/s, %.1fx fewer wire bytes per record%n",
            measured.recordsPerSecond() / baseline.recordsPerSecond(),
            baseline.wireBytesPerRecord() / measured.wireBytesPerRecord());
      }
      out.println("wire bytes = ingest request line, headers and compressed bodies as sent (retries included);"
          + " JSON = wire v1 JSON of the same batches, uncompressed");
    }
  }

  private DrainBenchmark() {}

  public static Result run(Options o) {
    try {
      Path root = o.workDir() != null ? o.workDir() : Files.createTempDirectory("outpost-drain-bench");
      try {
        String name = "outpost (binary+zstd, " + o.batchRecords() + "/req, " + o.maxInFlight() + " in flight)";
        Run warmup = o.warmupRecords() <= 0 ? null
            : drain(root.resolve("warmup"), "warm-up " + name, o, o.warmupRecords(), o.batchRecords(),
                o.maxInFlight(), WireCodec.BINARY, ContentEncoding.ZSTD);
        Run measured = drain(root.resolve("measured"), name, o, o.records(), o.batchRecords(), o.maxInFlight(),
            WireCodec.BINARY, ContentEncoding.ZSTD);
        Run baseline = o.baselineRecords() <= 0 ? null
            : drain(root.resolve("baseline"), "baseline (JSON, 100/req, 1 in flight)", o,
                o.baselineRecords(), 100, 1, WireCodec.JSON, ContentEncoding.IDENTITY);
        return new Result(measured, baseline, warmup);
      } finally {
        if (o.workDir() == null) {
          deleteTree(root);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Run drain(Path dir, String name, Options o, int records, int batchRecords,
      int maxInFlight, String contentType, ContentEncoding encoding) {
    ServerConfig serverConfig = ServerConfig.builder().port(0).dataDir(dir.resolve("server"))
        .adminToken("bench-admin").build();
    try (Outbox outbox = Outbox.open(dir.resolve("outbox"),
            OutboxConfig.builder().budgetBytes(8L << 30).build());
        OutpostServer server = OutpostServer.start(serverConfig)) {
      long fillStart = System.nanoTime();
      long jsonBytes = fill(outbox, o, records, batchRecords);
      System.err.printf(Locale.ROOT, "%s: filled %d records in %.1f s%n", name, records,
          (System.nanoTime() - fillStart) / 1e9);
      String token = server.devices().add("bench-1");
      SyncConfig config = SyncConfig.builder(URI.create(server.url()), "bench-1", token)
          .maxBatchRecords(batchRecords)
          .maxInFlight(maxInFlight)
          .contentType(contentType)
          .contentEncoding(encoding)
          .linger(Duration.ZERO)
          .build();
      HttpTransport transport = new HttpTransport(config.transport(), Clock.systemUTC());
      Map<String, Long> cpuBefore = threadCpu();
      long processCpuBefore = processCpuNanos();
      long start = System.nanoTime();
      try (SyncEngine engine = SyncEngine.builder(outbox, config)
          .transport(transport, false).random(new SplittableRandom(1)).start()) {
        long deadline = start + Duration.ofMinutes(20).toNanos();
        while (true) {
          if (engine.status().delivered() >= records) {
            OutboxStats s = outbox.stats();
            if (s.pendingTotal() == 0 && s.inFlight() == 0) {
              break;
            }
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("drain did not finish in 20 minutes: " + engine.status());
          }
          sleepMillis(10);
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      Map<String, Double> cpu = cpuPerRecord(cpuBefore, threadCpu(), records);
      double processCpu = (processCpuNanos() - processCpuBefore) / 1e3 / records;
      long wire = transport.ingestBytesSent();
      boolean verified = o.verify() && verify(server, records);
      Run r = new Run(name, records, seconds, transport.ingestRequests(), wire,
          transport.ingestBodyBytes(), jsonBytes, verified, cpu, processCpu);
      transport.close();
      return r;
    }
  }

  /** CPU nanoseconds the whole process has used (all threads, the JVM's own included). */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** CPU nanoseconds of the live threads, summed by name without its trailing number. */
  private static Map<String, Long> threadCpu() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<String, Long> byGroup = new HashMap<>();
    for (ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds())) {
      long cpu = ti == null ? -1 : mx.getThreadCpuTime(ti.getThreadId());
      if (cpu > 0) {
        String group = ti.getThreadName().replaceAll(" /\\S+", "").replaceAll("[-#]?\\d+$", "");
        byGroup.merge(group, cpu, Long::sum);
      }
    }
    return byGroup;
  }

  /** The five busiest thread groups between two snapshots, plus the total, in us per record. */
  private static Map<String, Double> cpuPerRecord(Map<String, Long> before, Map<String, Long> after, long records) {
    Map<String, Double> perRecord = new LinkedHashMap<>();
    long total = 0;
    List<Map.Entry<String, Long>> used = new ArrayList<>();
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      if (d > 0) {
        used.add(Map.entry(e.getKey(), d));
        total += d;
      }
    }
    used.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    for (Map.Entry<String, Long> e : used.subList(0, Math.min(5, used.size()))) {
      perRecord.put(e.getKey(), e.getValue() / 1e3 / records);
    }
    perRecord.put("total", total / 1e3 / records);
    return perRecord;
  }

  /** Appends the backlog in transactions of 10,000; returns the plain JSON size of its batches. */
  private static long fill(Outbox outbox, Options o, int records, int batchRecords) {
    SplittableRandom rnd = new SplittableRandom(42);
    long jsonBytes = 0;
    List<Message> jsonBatch = new ArrayList<>(batchRecords);
    long ts = 1_763_800_000_000L;
    for (int done = 0; done < records; ) {
      int n = Math.min(10_000, records - done);
      List<NewRecord> chunk = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int topic = rnd.nextInt(o.topics());
        Priority p = rnd.nextInt(100) < 5 ? Priority.HIGH : Priority.NORMAL;
        chunk.add(new NewRecord("sensors/gw-0042/s" + topic, payload(rnd, done + i, topic, o.payloadBytes()), p));
      }
      List<Long> seqs = outbox.appendAll(chunk);
      for (int i = 0; i < n; i++) {
        NewRecord r = chunk.get(i);
        jsonBatch.add(new Message(seqs.get(i), r.topic(), r.priority(), ts + done + i, r.headers(), r.payload()));
        if (jsonBatch.size() == batchRecords) {
          jsonBytes += WireCodec.encodeJson(new Batch("bench-1", outbox.epoch(), jsonBatch)).length;
          jsonBatch.clear();
        }
      }
      done += n;
    }
    if (!jsonBatch.isEmpty()) {
      jsonBytes += WireCodec.encodeJson(new Batch("bench-1", outbox.epoch(), jsonBatch)).length;
    }
    return jsonBytes;
  }

  /** A telemetry reading of about {@code size} bytes: readings drift, names repeat. */
  static byte[] payload(SplittableRandom rnd, int i, int sensor, int size) {
    StringBuilder sb = new StringBuilder(size + 16);
    sb.append("{\"device\":\"gw-0042\",\"sensor\":\"s").append(sensor)
        .append("\",\"n\":").append(i)
        .append(",\"temperature_c\":").append(String.format(Locale.ROOT, "%.2f", 20 + rnd.nextDouble() * 5))
        .append(",\"humidity_pct\":").append(String.format(Locale.ROOT, "%.1f", 40 + rnd.nextDouble() * 20))
        .append(",\"pressure_hpa\":").append(String.format(Locale.ROOT, "%.1f", 1000 + rnd.nextDouble() * 30))
        .append(",\"battery_v\":").append(String.format(Locale.ROOT, "%.3f", 3.5 + rnd.nextDouble() * 0.5))
        .append(",\"rssi_dbm\":").append(-60 - rnd.nextInt(30))
        .append(",\"status\":\"ok\",\"fw\":\"2.4.1\"");
    sb.append(",\"pad\":\"");
    while (sb.length() < size - 2) {
      sb.append('x');
    }
    sb.append("\"}");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Reads every record back from the server's store: each seq exactly once. */
  private static boolean verify(OutpostServer server, int records) {
    BitSet seen = new BitSet(records + 1);
    long after = 0;
    long count = 0;
    while (true) {
      List<StoredRecord> page = server.store().page(after, 10_000, "bench-1", null);
      if (page.isEmpty()) {
        break;
      }
      for (StoredRecord r : page) {
        int seq = (int) r.message().seq();
        if (seen.get(seq)) {
          throw new IllegalStateException("seq " + seq + " stored twice");
        }
        seen.set(seq);
        count++;
      }
      after = page.get(page.size() - 1).serverSeq();
    }
    if (count != records) {
      throw new IllegalStateException("server holds " + count + " records, expected " + records);
    }
    return true;
  }

  private static void sleepMillis(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  public static void main(String[] args) {
    Options d = Options.defaults();
    int records = d.records();
    int baseline = d.baselineRecords();
    int warmup = d.warmupRecords();
    int batch = d.batchRecords();
    int inFlight = d.maxInFlight();
    boolean verify = d.verify();
    for (String a : args) {
      String[] kv = a.split("=", 2);
      switch (kv[0]) {
        case "--records" -> records = Integer.parseInt(kv[1]);
        case "--baseline-records" -> baseline = Integer.parseInt(kv[1]);
        case "--warmup-records" -> warmup = Integer.parseInt(kv[1]);
        case "--batch" -> batch = Integer.parseInt(kv[1]);
        case "--in-flight" -> inFlight = Integer.parseInt(kv[1]);
        case "--no-verify" -> verify = false;
        default -> throw new IllegalArgumentException("unknown option " + a
            + " (known: --records=N --baseline-records=N --warmup-records=N --batch=N --in-flight=N --no-verify)");
      }
    }
    run(new Options(records, d.payloadBytes(), d.topics(), batch, inFlight, baseline, warmup, verify, null))
        .print(System.out);
  }
}
