package dev.outpost.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Runs the benchmarks of the outbox (append), the uplink (drain), the server (ingest) and the
 * agent's footprint in one process and prints one table: each figure next to the baseline
 * measured in the same run, the ratio, and the target where the issues set one. {@code
 * outpost bench} calls {@link #run}; {@link #main} takes the same arguments.
 *
 * <p>Volumes: {@link Scale#FULL} (a few minutes on 2 cores), {@link Scale#QUICK} (about a
 * minute), {@link Scale#SMOKE} (seconds, for the runner's own test; the numbers mean nothing).
 * Not thread-safe; one run at a time per work dir, which is deleted afterwards.
 */
public final class BenchRunner {
  public static final Set<String> SUITES = Set.of("append", "drain", "ingest", "agent", "sync", "all");

  /** How big the runs are. */
  public enum Scale { FULL, QUICK, SMOKE }

  /** Every figure of one run, with the machine it ran on. */
  public record Report(String suite, Scale scale, MachineInfo machine, String loadAtStart, List<Figure> figures,
      double seconds) {}

  private BenchRunner() {}

  /** {@code [append|drain|ingest|agent|sync|all] [--quick] [--json FILE]}, as {@code outpost bench}. */
  public static void main(String[] args) throws Exception {
    List<String> a = List.of(args);
    String suite = a.isEmpty() || a.getFirst().startsWith("--") ? "all" : a.getFirst();
    Scale scale = a.contains("--quick") ? Scale.QUICK : Scale.FULL;
    Report r = run(suite, scale, Files.createTempDirectory("outpost-bench-"), System.out);
    BenchTable.print(r, System.out);
    int json = a.indexOf("--json");
    if (json >= 0 && json + 1 < a.size()) {
      BenchTable.writeJson(r, Path.of(a.get(json + 1)));
    }
  }

  /** Runs {@code suite} (append, drain, ingest, agent or all); details go to {@code log}. */
  public static Report run(String suite, Scale scale, Path work, PrintStream log) throws Exception {
    if (!SUITES.contains(suite)) {
      throw new IllegalArgumentException("unknown benchmark '" + suite + "'; known: append, drain, ingest, agent, sync, all");
    }
    boolean all = suite.equals("all");
    long start = System.nanoTime();
    String loadAtStart = MachineInfo.currentLoad();
    List<Figure> figures = new ArrayList<>();
    try {
      if (all || suite.equals("append")) {
        figures.addAll(append(scale, work.resolve("append"), log));
      }
      if (all || suite.equals("drain")) {
        figures.addAll(drain(scale, work.resolve("drain"), log));
      }
      if (all || suite.equals("ingest")) {
        figures.addAll(ingest(scale, work.resolve("ingest"), log));
      }
      if (all || suite.equals("agent")) {
        figures.addAll(agent(scale, work.resolve("agent"), log));
      }
      if (all || suite.equals("sync")) {
        figures.addAll(sync(scale, work.resolve("sync"), log));
      }
    } finally {
      AppendBenchmark.delete(work);
    }
    return new Report(suite, scale, MachineInfo.here(work.getParent()), loadAtStart, figures, (System.nanoTime() - start) / 1e9);
  }

  private static List<Figure> append(Scale scale, Path dir, PrintStream log) throws Exception {
    AppendBenchmark.Options o = switch (scale) {
      case FULL -> AppendBenchmark.Options.defaults(dir);
      case QUICK -> new AppendBenchmark.Options(dir, List.of(1, 16), Duration.ofSeconds(2), 200, 64, 100_000,
          Duration.ofSeconds(1));
      case SMOKE -> new AppendBenchmark.Options(dir, List.of(1, 4), Duration.ofMillis(300), 200, 16, 2000,
          Duration.ofMillis(300));
    };
    AppendBenchmark.Result r = AppendBenchmark.run(o, log);
    int most = o.producers().stream().max(Integer::compare).orElse(1);
    AppendBenchmark.Point best = r.points().stream().filter(p -> p.producers() == most)
        .max(Comparator.comparingDouble(AppendBenchmark.Point::perSecond)).orElseThrow();
    AppendBenchmark.Point sync1 = r.points().stream().filter(p -> p.mode().equals("sync") && p.producers() == 1)
        .findFirst().orElse(best);
    String g = "append";
    String what = "durable appends, " + best.mode() + ", " + most + " producers";
    return List.of(
        Figure.vs(g, what, best.perSecond(), "records/s", "raw SQLite insert, one transaction", r.rawPerSecond()),
        Figure.atLeast(g, what, best.perSecond(), "records/s", "naive writer, one commit per record",
            r.naive().perSecond(), 1),
        Figure.vs(g, "durable appends, sync, 1 producer", sync1.perSecond(), "records/s",
            "naive writer, one commit per record", r.naive().perSecond()),
        Figure.vs(g, "append latency p99, sync, 1 producer", sync1.p99Micros(), "us",
            "naive writer, commit p99", r.naive().p99Micros()));
  }

  /** The uplink issue's drain target for a 1,000,000-record backlog on the benchmark machine. */
  static final double DRAIN_TARGET_PER_SECOND = 150_000;

  private static List<Figure> drain(Scale scale, Path dir, PrintStream log) {
    DrainBenchmark.Options d = DrainBenchmark.Options.defaults();
    DrainBenchmark.Options o = switch (scale) {
      case FULL -> new DrainBenchmark.Options(d.records(), d.payloadBytes(), d.topics(), d.batchRecords(),
          d.maxInFlight(), d.baselineRecords(), d.warmupRecords(), d.verify(), dir);
      case QUICK -> new DrainBenchmark.Options(200_000, d.payloadBytes(), d.topics(), d.batchRecords(),
          d.maxInFlight(), 20_000, 50_000, true, dir);
      case SMOKE -> new DrainBenchmark.Options(3000, d.payloadBytes(), 2, 500, 2, 1000, 1000, false, dir);
    };
    DrainBenchmark.Result r = DrainBenchmark.run(o);
    r.print(log);
    DrainBenchmark.Run m = r.measured();
    DrainBenchmark.Run b = r.baseline();
    String g = "drain";
    String name = "uplink drain, " + m.records() + " records";
    // the target (150,000 records/s on the benchmark machine) is for the full 1M backlog
    Figure rate = scale == Scale.FULL
        ? Figure.atLeastAbsolute(g, name, m.recordsPerSecond(), "records/s", "JSON, 100/request, 1 in flight",
            b.recordsPerSecond(), DRAIN_TARGET_PER_SECOND)
        : Figure.atLeast(g, name, m.recordsPerSecond(), "records/s", "JSON, 100/request, 1 in flight",
            b.recordsPerSecond(), 1);
    return List.of(
        rate,
        Figure.atMost(g, "wire bytes per record", m.wireBytesPerRecord(), "B",
            "uncompressed JSON of the same records", m.jsonBytesPerRecord(), 0.20),
        Figure.vs(g, "requests per 1000 records", m.requestsPer1000(), "requests",
            "JSON, 100/request", b.requestsPer1000()));
  }

  private static List<Figure> ingest(Scale scale, Path dir, PrintStream log) throws Exception {
    IngestBenchmark.Options d = IngestBenchmark.Options.defaults();
    IngestBenchmark.Options o = switch (scale) {
      case FULL -> new IngestBenchmark.Options(d.clients(), d.httpDuration(), d.rawRecords(), d.minBatch(),
          d.maxBatch(), d.payloadBytes(), dir, d.pgAdminUrl(), d.seed());
      case QUICK -> new IngestBenchmark.Options(d.clients(), Duration.ofSeconds(5), 100_000, d.minBatch(),
          d.maxBatch(), d.payloadBytes(), dir, d.pgAdminUrl(), d.seed());
      case SMOKE -> new IngestBenchmark.Options(2, Duration.ofSeconds(1), 2000, 10, 50, d.payloadBytes(), dir,
          null, d.seed());
    };
    IngestBenchmark.Result r = IngestBenchmark.run(o, log);
    List<Figure> figures = new ArrayList<>();
    for (IngestBenchmark.StoreResult s : r.stores()) {
      figures.add(Figure.vs("ingest", "server ingest over HTTP (" + s.store() + ", " + o.clients() + " clients)",
          s.httpPerSecond(), "records/s", "raw " + s.store() + " insert, one transaction", s.rawPerSecond()));
    }
    return figures;
  }

  private static List<Figure> agent(Scale scale, Path dir, PrintStream log) throws Exception {
    List<Integer> backlogs = switch (scale) {
      case FULL -> List.of(0, 100_000, 1_000_000);
      case QUICK -> List.of(0, 100_000);
      case SMOKE -> List.of(0, 2000);
    };
    List<AgentFootprint.Profile> profiles = scale == Scale.SMOKE
        ? List.of(AgentFootprint.Profile.JVM_DEFAULTS, AgentFootprint.Profile.EDGE_CDS) : AgentFootprint.Profile.ALL;
    AgentFootprint.Result r = AgentFootprint.run(new AgentFootprint.Options(backlogs,
        scale == Scale.SMOKE ? 50 : 2000, 100, profiles, dir), log);
    List<Figure> figures = new ArrayList<>();
    for (AgentFootprint.Profile profile : profiles) {
      List<AgentFootprint.Sample> samples = r.samples().stream().filter(s -> s.profile().equals(profile)).toList();
      AgentFootprint.Sample empty = samples.getFirst();
      for (AgentFootprint.Sample s : samples) {
        figures.add(Figure.under("agent", String.format(Locale.ROOT, "agent RSS, %,d pending (%s)", s.pending(),
            profile.name()), s.rssMaxKiB() / 1024.0, "MiB", "same, 0 pending", empty.rssMaxKiB() / 1024.0, 128));
      }
      AgentFootprint.Sample last = samples.getLast();
      figures.add(Figure.under("agent", String.format(Locale.ROOT, "process start to first 202, %,d pending (%s)",
          last.pending(), profile.name()), last.firstAcceptMillis(), "ms", "same, 0 pending",
          empty.firstAcceptMillis(), 1000));
    }
    AgentFootprint.Open emptyOpen = r.opens().getFirst();
    AgentFootprint.Open lastOpen = r.opens().getLast();
    figures.add(Figure.under("agent", String.format(Locale.ROOT, "Outbox.open + first append, %,d pending",
        lastOpen.pending()), lastOpen.millis(), "ms", "same, 0 pending", emptyOpen.millis(), 1000));
    for (AgentFootprint.Drain d : r.drains()) {
      AgentFootprint.Sample idle = r.samples().stream().filter(s -> s.profile().equals(d.profile())).findFirst()
          .orElse(null);
      figures.add(Figure.under("agent", String.format(Locale.ROOT, "agent RSS while draining %,d records to a server (%s, max)",
          d.records(), d.profile().name()), d.rssMaxKiB() / 1024.0, "MiB", "same flags, 0 pending, idle",
          idle == null ? Double.NaN : idle.rssMaxKiB() / 1024.0, 128));
    }
    return figures;
  }

  /** The two-way sync issue's pull target: documents served per second to one device. */
  static final double PULL_TARGET_PER_SECOND = 100_000;

  private static List<Figure> sync(Scale scale, Path dir, PrintStream log) throws Exception {
    SyncBenchmark.Options d = SyncBenchmark.Options.defaults(dir);
    SyncBenchmark.Options o = switch (scale) {
      case FULL -> d;
      case QUICK -> new SyncBenchmark.Options(d.devices(), Duration.ofSeconds(6), 200_000, 10_000, dir, d.seed());
      case SMOKE -> new SyncBenchmark.Options(2, Duration.ofSeconds(1), 3000, 500, dir, d.seed());
    };
    SyncBenchmark.Result r = SyncBenchmark.run(o, log);
    String g = "sync";
    String pull = String.format(Locale.ROOT, "pull of a %,d-document subscription, binary+zstd, 1 device", r.docs());
    return List.of(
        Figure.atLeast(g, "merge of device ops through ingest, " + o.devices() + " devices", r.mergePerSecond(), "ops/s",
            "plain record ingest, same devices", r.plainPerSecond(), 0.5),
        scale == Scale.FULL
            ? Figure.atLeastAbsolute(g, pull, r.pullPerSecond(), "docs/s", "SQLite read of the same rows",
                r.rawReadPerSecond(), PULL_TARGET_PER_SECOND)
            : Figure.vs(g, pull, r.pullPerSecond(), "docs/s", "SQLite read of the same rows", r.rawReadPerSecond()),
        Figure.vs(g, "pull, binary+zstd", r.pullPerSecond(), "docs/s", "JSON pull, uncompressed", r.jsonPullPerSecond()),
        Figure.vs(g, "server RSS during the pull (max)", r.rssMaxKiB() / 1024.0, "MiB", "after the first page",
            r.rssFirstPageKiB() / 1024.0),
        Figure.atMost(g, "wire bytes per changed document, binary+zstd", r.wireBytesPerChangedDoc(), "B",
            "JSON pull of the same changes", r.jsonBytesPerChangedDoc(), 0.25),
        scale == Scale.FULL
            ? Figure.atLeastAbsolute(g, String.format(Locale.ROOT, "initial sync of %,d documents to a new agent", r.docs()),
                r.device().applyPerSecond(), "docs/s", "raw SQLite insert of rows of the same sizes",
                r.device().rawInsertPerSecond(), PULL_TARGET_PER_SECOND)
            : Figure.vs(g, String.format(Locale.ROOT, "initial sync of %,d documents to a new agent", r.docs()),
                r.device().applyPerSecond(), "docs/s", "raw SQLite insert of rows of the same sizes",
                r.device().rawInsertPerSecond()),
        Figure.under(g, "agent RSS during the initial sync (max)", r.device().rssMaxKiB() / 1024.0, "MiB",
            "a tenth of the way", r.device().rssFirstKiB() / 1024.0, 128),
        Figure.under(g, "propagation device A's write to device B's read, p99", r.device().propagationP99Ms(), "ms",
            "p50", r.device().propagationP50Ms(), 1000),
        Figure.vs(g, "local write through the agent API (durable), p99", r.device().writeP99Ms(), "ms", "p50",
            r.device().writeP50Ms()),
        Figure.vs(g, "local reads through the agent API, 4 clients", r.device().readsPerSecond(), "reads/s",
            "local writes, 1 client", 1000 / r.device().writeP50Ms()));
  }
}
