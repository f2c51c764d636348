package dev.outpost.sim;

import dev.outpost.server.DeviceInfo;
import dev.outpost.server.OutpostServer;
import dev.outpost.core.wire.Protocol;
import dev.outpost.server.ServerConfig;
import dev.outpost.server.SyncCollections;
import dev.outpost.sim.internal.DeliveryTally;
import dev.outpost.sim.internal.LatencyTally;
import dev.outpost.sim.internal.ReadBack;
import dev.outpost.sim.internal.StoredRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet demo, start to verdict: starts an embedded server on loopback, runs a {@link Fleet}
 * through it for the configured duration (chaos on or off) while printing one live line per
 * second, then stops the producers, heals the network, waits (bounded) for every outbox to
 * drain, reads everything back through {@code GET /v1/messages} and compares it with the
 * acknowledgements. The {@link DemoReport} says what was produced, stored, lost or duplicated.
 *
 * <p>Files: the server's SQLite store and one outbox per device under the data directory; a
 * temp directory is deleted at the end, or by a shutdown hook when the JVM is stopped half-way
 * (Ctrl-C); a given one is kept. Killed with SIGKILL, a temp directory stays behind in the
 * system's temp location.
 *
 * <p>One run per call; the calling thread paces the run. Not meant to be called concurrently
 * on the same data directory.
 */
public final class FleetDemo {
  private static final Logger log = LoggerFactory.getLogger(FleetDemo.class);
  private static final Duration TICK = Duration.ofSeconds(1);
  private static final Duration DRAIN_POLL = Duration.ofMillis(100);

  private final FleetConfig config;
  private final Consumer<String> out;
  private final Clock clock;

  private FleetDemo(FleetConfig config, Consumer<String> out, Clock clock) {
    this.config = config;
    this.out = out;
    this.clock = clock;
  }

  /** Runs the demo on the system clock; live lines and the start banner go to {@code out}. */
  public static DemoReport run(FleetConfig config, Consumer<String> out) throws IOException, InterruptedException {
    return run(config, out, Clock.systemUTC());
  }

  public static DemoReport run(FleetConfig config, Consumer<String> out, Clock clock)
      throws IOException, InterruptedException {
    return new FleetDemo(config, out, clock).run();
  }

  private DemoReport run() throws IOException, InterruptedException {
    boolean temp = config.dataDir() == null;
    Path dir = temp ? Files.createTempDirectory("outpost-demo-") : prepare(config.dataDir());
    // a temp directory also goes when the JVM is stopped half-way (Ctrl-C)
    Thread cleanup = new Thread(() -> deleteTree(dir), "outpost-demo-cleanup");
    if (temp) {
      Runtime.getRuntime().addShutdownHook(cleanup);
    }
    try {
      return runIn(dir, temp);
    } finally {
      if (temp) {
        removeHook(cleanup);
        deleteTree(dir);
      }
    }
  }

  private DemoReport runIn(Path dir, boolean temp) throws IOException, InterruptedException {
    Instant start = clock.instant();
    String admin = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    out.accept(String.format("outpost demo: %d devices for %d s, chaos %s, seed %d (replay: --seed %d)",
        config.devices(), config.duration().toSeconds(), config.chaos() ? "on" : "off",
        config.seed(), config.seed()));
    try (OutpostServer server = OutpostServer.start(ServerConfig.builder()
        .host("127.0.0.1").port(0).dataDir(dir.resolve("server")).adminToken(admin)
        .syncCollections(SyncCollections.parse(FieldTerminals.SYNC_CONFIG, "the demo")).build())) {
      out.accept("server " + server.url() + ", data in " + dir + (temp ? " (deleted at the end)" : " (kept)"));
      InetSocketAddress target = new InetSocketAddress("127.0.0.1", server.port());
      try (Fleet fleet = Fleet.start(config, target, server.devices()::add, dir.resolve("devices"), clock);
          FieldTerminals terminals = FieldTerminals.start(2, target, admin, server.devices()::add,
              dir.resolve("terminals"), config.seed())) {
        out.accept("2 field terminals share work orders and a stock counter with the back office (two-way sync);"
            + " the first loses its link from a third to two thirds of the run");
        LiveView view = new LiveView(fleet);
        produce(fleet, view, terminals);
        fleet.stopProducing();
        fleet.heal();
        out.accept(String.format("t=%ds  producers stopped, network healed; draining (timeout %d s)",
            Duration.between(fleet.startedAt(), clock.instant()).toSeconds(), config.drainTimeout().toSeconds()));
        Instant drainStart = clock.instant();
        boolean drained = drain(fleet, view);
        Duration drainTime = Duration.between(drainStart, clock.instant());
        Map<String, Long> undelivered = drained ? Map.of() : fleet.undelivered();
        out.accept("checking delivery through the read-back API...");
        DeliveryTally tally = new DeliveryTally();
        LatencyTally latency = new LatencyTally();
        readBack(server, admin, r -> {
          if (r.topic().equals(Protocol.SYNC_TOPIC)) {
            return; // the field terminals' document ops: checked by FieldTerminals.settle
          }
          tally.add(r);
          latency.add(r);
        });
        DeliveryReport delivery = tally.report(fleet.ledger().entries());
        long resent = server.devices().list().stream().mapToLong(DeviceInfo::duplicates).sum();
        FieldTerminals.Report replicas = terminals.settle(config.drainTimeout());
        out.accept(replicas.converged() ? "field terminals converged with the server"
            : "field terminals did not converge: " + replicas.detail());
        FleetSnapshot last = fleet.snapshot();
        return new DemoReport(config, fleet.produced(), fleet.appendFailures(), fleet.alertsProduced(),
            delivery, resent, last.deadLetters(), drained, drainTime, undelivered,
            fleet.longestOutage(), fleet.longestDownSeen(), fleet.chaosEpisodes(),
            latency.alerts(), latency.telemetry(), fleet.wireBytesUp(), fleet.retries(),
            Duration.between(start, clock.instant()), replicas);
      }
    }
  }

  /**
   * Lets the fleet produce for the configured duration, printing one line per second; the field
   * terminals work once a second.
   */
  private void produce(Fleet fleet, LiveView view, FieldTerminals terminals) throws InterruptedException, IOException {
    Instant end = fleet.startedAt().plus(config.duration());
    Instant nextLine = fleet.startedAt().plus(TICK);
    double total = Math.max(1, config.duration().toMillis());
    while (clock.instant().isBefore(end)) {
      pauseUntil(min(nextLine, end));
      if (!clock.instant().isBefore(nextLine)) {
        view.print("");
        terminals.tick(Duration.between(fleet.startedAt(), clock.instant()).toMillis() / total);
        nextLine = nextLine.plus(TICK);
      }
    }
  }

  /** Waits for every outbox to be empty, at most the drain timeout; true when they are. */
  private boolean drain(Fleet fleet, LiveView view) throws InterruptedException {
    Instant deadline = clock.instant().plus(config.drainTimeout());
    Instant nextLine = clock.instant().plus(TICK);
    while (true) {
      if (fleet.undelivered().isEmpty()) {
        view.print("drained");
        return true;
      }
      if (!clock.instant().isBefore(deadline)) {
        view.print("drain timed out");
        return false;
      }
      if (!clock.instant().isBefore(nextLine)) {
        view.print("draining");
        nextLine = nextLine.plus(TICK);
      }
      pauseUntil(min(min(clock.instant().plus(DRAIN_POLL), nextLine), deadline));
    }
  }

  /** Prints snapshots; delivered/s is the rate since the previous line. Not thread-safe. */
  private final class LiveView {
    private final Fleet fleet;
    private long lastDelivered;
    private Instant lastAt;

    LiveView(Fleet fleet) {
      this.fleet = fleet;
      this.lastAt = fleet.startedAt();
    }

    void print(String phase) {
      FleetSnapshot s = fleet.snapshot();
      Instant now = clock.instant();
      long ms = Math.max(1, Duration.between(lastAt, now).toMillis());
      out.accept(s.line(phase, Math.max(0, s.delivered() - lastDelivered) * 1000 / ms));
      lastDelivered = s.delivered();
      lastAt = now;
    }
  }

  private void readBack(OutpostServer server, String admin, Consumer<StoredRecord> sink)
      throws IOException, InterruptedException {
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build()) {
      new ReadBack(http, URI.create(server.url()), admin, 5000, Duration.ofSeconds(30), 50_000_000)
          .readAll(sink);
    }
  }

  private void pauseUntil(Instant when) throws InterruptedException {
    long ms = Duration.between(clock.instant(), when).toMillis();
    if (ms > 0) {
      Thread.sleep(ms);
    }
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /** A kept data directory must be new or empty: a second run would collide with the first's devices. */
  private static Path prepare(Path dir) throws IOException {
    Files.createDirectories(dir);
    try (Stream<Path> entries = Files.list(dir)) {
      if (entries.findAny().isPresent()) {
        throw new IOException("data directory " + dir.toAbsolutePath()
            + " is not empty; give a new or empty directory (or leave out --data-dir for a temp one)");
      }
    }
    return dir;
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs anyway
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      log.warn("could not delete the demo's temp directory {}: {}", dir, e.getMessage());
    }
  }
}
