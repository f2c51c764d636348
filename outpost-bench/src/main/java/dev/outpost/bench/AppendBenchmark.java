package dev.outpost.bench;

import dev.outpost.core.Priority;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Durable appends per second into the outbox from 1, 4 and 16 producer threads (200-byte
 * payloads), with p50/p99 append latency, next to two baselines measured in the same run on the
 * same disk: plain SQLite inserting the same rows into the same table in one big transaction
 * (the ceiling), and a naive writer that commits every record (what edge code does by hand).
 *
 * <p>Two producer modes: {@code sync} (each thread calls {@code append} and waits for the fsync)
 * and {@code async} (each thread keeps {@code window} {@code appendAsync} futures in flight;
 * every future still completes only when its record is durable).
 *
 * <p>Run: {@code java -cp ... dev.outpost.bench.AppendBenchmark [seconds-per-point] [dir]}.
 */
public final class AppendBenchmark {
  private static final String INSERT =
      "INSERT INTO records (seq, topic, priority, ts, expires_at, headers, payload) VALUES (?, ?, ?, ?, NULL, NULL, ?)";

  /** What to measure. */
  public record Options(Path dir, List<Integer> producers, Duration perPoint, int payloadBytes, int window,
      int rawRows, Duration naiveFor) {
    public static Options defaults(Path dir) {
      return new Options(dir, List.of(1, 4, 16), Duration.ofSeconds(3), 200, 64, 300_000, Duration.ofSeconds(2));
    }
  }

  /** One measured configuration. */
  public record Point(String mode, int producers, long records, double seconds, double perSecond,
      double p50Micros, double p99Micros) {}

  /**
   * All figures of one run. The raw baseline is measured three times (before, between and after
   * the outbox points; the machine may be shared): {@code rawPerSecond} is their median,
   * {@code rawRuns} all three. {@code ratio} is the best rate at the most producers over the
   * median raw rate. {@code naive} is the commit-per-record baseline, whose latencies show what
   * one bare fsync'd SQLite commit costs on this disk right now.
   */
  public record Result(List<Point> points, double rawPerSecond, List<Double> rawRuns, Point naive, double ratio) {}

  private AppendBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("outpost-bench");
    Options o = Options.defaults(dir);
    if (args.length > 0) {
      o = new Options(dir, o.producers(), Duration.ofSeconds(Long.parseLong(args[0])), o.payloadBytes(),
          o.window(), o.rawRows(), o.naiveFor());
    }
    run(o, System.out);
    HeapProbe.run(dir.resolve("heap"), List.of(10_000, 1_000_000), System.out);
  }

  public static Result run(Options o, PrintStream out) throws Exception {
    List<Point> points = new ArrayList<>();
    rawRate(new Options(o.dir(), o.producers(), o.perPoint(), o.payloadBytes(), o.window(),
        Math.max(1, o.rawRows() / 5), o.naiveFor()));
    List<Double> raws = new ArrayList<>();
    raws.add(rawRate(o));
    Point naive = naive(o);
    for (String mode : List.of("sync", "async")) {
      for (int producers : o.producers()) {
        points.add(measure(o, mode, producers));
      }
      raws.add(rawRate(o));
    }
    double raw = raws.stream().sorted().toList().get(1);
    int most = o.producers().stream().max(Integer::compare).orElse(1);
    double best = points.stream().filter(p -> p.producers() == most).mapToDouble(Point::perSecond).max().orElse(0);
    Result result = new Result(points, raw, raws, naive, best / raw);
    print(result, o, out);
    return result;
  }

  private static Point measure(Options o, String mode, int producers) throws Exception {
    Path dir = fresh(o.dir().resolve(mode + "-" + producers));
    OutboxConfig config = OutboxConfig.builder().budgetBytes(16L << 30).build();
    try (Outbox outbox = Outbox.open(dir, config)) {
      byte[] payload = new byte[o.payloadBytes()];
      long[][] latencies = new long[producers][];
      long[] counts = new long[producers];
      long warmupEnd = System.nanoTime() + Math.min(500_000_000L, o.perPoint().toNanos() / 2);
      long start = warmupEnd;
      long end = start + o.perPoint().toNanos();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < producers; t++) {
        int id = t;
        Thread th = new Thread(() -> {
          LongList lat = new LongList();
          long n = "sync".equals(mode)
              ? syncLoop(outbox, "bench/" + id, payload, warmupEnd, end, lat)
              : asyncLoop(outbox, "bench/" + id, payload, o.window(), warmupEnd, end, lat);
          latencies[id] = lat.toArray();
          counts[id] = n;
        });
        threads.add(th);
        th.start();
      }
      for (Thread th : threads) {
        th.join();
      }
      double seconds = o.perPoint().toNanos() / 1e9;
      long total = Arrays.stream(counts).sum();
      long[] all = Stream.of(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
      return new Point(mode, producers, total, seconds, total / seconds,
          percentile(all, 0.50) / 1e3, percentile(all, 0.99) / 1e3);
    } finally {
      delete(dir);
    }
  }

  private static long syncLoop(Outbox outbox, String topic, byte[] payload, long measureFrom, long end, LongList lat) {
    long n = 0;
    for (long now = System.nanoTime(); now < end; ) {
      outbox.append(topic, payload, Priority.NORMAL);
      long done = System.nanoTime();
      if (now >= measureFrom) {
        lat.add(done - now);
        n++;
      }
      now = done;
    }
    return n;
  }

  private static long asyncLoop(Outbox outbox, String topic, byte[] payload, int window, long measureFrom,
      long end, LongList lat) {
    List<CompletableFuture<Long>> ring = new ArrayList<>(java.util.Collections.nCopies(window, null));
    long[] started = new long[window];
    long n = 0;
    long i = 0;
    for (long now = System.nanoTime(); now < end; i++) {
      int slot = (int) (i % window);
      if (ring.get(slot) != null) {
        ring.get(slot).join();
        long done = System.nanoTime();
        if (started[slot] >= measureFrom) {
          lat.add(done - started[slot]);
          n++;
        }
        now = done;
      }
      started[slot] = now;
      ring.set(slot, outbox.appendAsync(topic, payload, Priority.NORMAL, Map.of()));
    }
    for (CompletableFuture<Long> f : ring) {
      if (f != null) {
        f.join();
      }
    }
    return n;
  }

  /** Plain SQLite: the same rows into the same table and indexes, one transaction, same pragmas. */
  static double rawRate(Options o) throws Exception {
    Path dir = fresh(o.dir().resolve("raw"));
    try {
      Outbox.open(dir, OutboxConfig.defaults()).close();
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("outbox.db"));
          Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode = WAL");
        s.execute("PRAGMA synchronous = FULL");
        byte[] payload = new byte[o.payloadBytes()];
        long t0 = System.nanoTime();
        s.execute("BEGIN IMMEDIATE");
        try (PreparedStatement p = c.prepareStatement(INSERT)) {
          for (int i = 1; i <= o.rawRows(); i++) {
            bind(p, i, payload);
            p.addBatch();
            if (i % 8192 == 0) {
              p.executeBatch();
            }
          }
          p.executeBatch();
        }
        s.execute("COMMIT");
        return o.rawRows() / ((System.nanoTime() - t0) / 1e9);
      }
    } finally {
      delete(dir);
    }
  }

  /** One connection, one commit (and fsync) per record: what edge code does by hand. */
  static Point naive(Options o) throws Exception {
    Path dir = fresh(o.dir().resolve("naive"));
    try {
      Outbox.open(dir, OutboxConfig.defaults()).close();
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("outbox.db"));
          Statement s = c.createStatement();
          PreparedStatement p = c.prepareStatement(INSERT)) {
        s.execute("PRAGMA journal_mode = WAL");
        s.execute("PRAGMA synchronous = FULL");
        byte[] payload = new byte[o.payloadBytes()];
        long t0 = System.nanoTime();
        long end = t0 + o.naiveFor().toNanos();
        LongList lat = new LongList();
        int i = 0;
        for (long now = t0; now < end; ) {
          bind(p, ++i, payload);
          p.executeUpdate();
          long done = System.nanoTime();
          lat.add(done - now);
          now = done;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long[] sorted = lat.toArray();
        Arrays.sort(sorted);
        return new Point("naive", 1, i, seconds, i / seconds, percentile(sorted, 0.5) / 1e3,
            percentile(sorted, 0.99) / 1e3);
      }
    } finally {
      delete(dir);
    }
  }

  private static void bind(PreparedStatement p, long seq, byte[] payload) throws SQLException {
    p.setLong(1, seq);
    p.setString(2, "bench/" + (seq & 15));
    p.setInt(3, Priority.NORMAL.rank());
    p.setLong(4, System.currentTimeMillis());
    p.setBytes(5, payload);
  }

  private static void print(Result r, Options o, PrintStream out) {
    out.printf(Locale.ROOT, "append benchmark: %d-byte payloads, %s per point, dir %s, %d cpus%n",
        o.payloadBytes(), o.perPoint(), o.dir(), Runtime.getRuntime().availableProcessors());
    out.printf(Locale.ROOT, "%-6s %9s %11s %12s %10s %10s%n", "mode", "producers", "records", "records/s", "p50 us", "p99 us");
    for (Point p : r.points()) {
      out.printf(Locale.ROOT, "%-6s %9d %11d %12.0f %10.0f %10.0f%n", p.mode(), p.producers(), p.records(),
          p.perSecond(), p.p50Micros(), p.p99Micros());
    }
    out.printf(Locale.ROOT, "baseline raw SQLite, one transaction : %12.0f records/s (median of %s)%n",
        r.rawPerSecond(), r.rawRuns().stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList());
    out.printf(Locale.ROOT, "baseline naive, one commit per record: %12.0f records/s, commit p50 %.0f us, p99 %.0f us%n",
        r.naive().perSecond(), r.naive().p50Micros(), r.naive().p99Micros());
    out.printf(Locale.ROOT, "best %d-producer outbox rate / median raw rate: %.0f%%%n",
        o.producers().stream().max(Integer::compare).orElse(1), r.ratio() * 100);
  }

  private static double percentile(long[] sorted, double q) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }

  static Path fresh(Path dir) {
    delete(dir);
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void delete(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A growable array of longs (latencies) without boxing. Not thread-safe. */
  static final class LongList {
    private long[] values = new long[1024];
    private int size;

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    long[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }
}
