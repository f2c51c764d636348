package dev.outpost.sim;

import dev.outpost.core.Priority;
import dev.outpost.edge.sync.SyncStatus;
import dev.outpost.sim.internal.SensorDevice;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * N simulated devices in this process, each with its own SQLite outbox, sync engine and
 * {@link FaultProxy} in front of one server; with chaos on, each proxy has its own
 * {@link ChaosSchedule}, so devices see different outages at different times. Producers append
 * sensor readings and alerts (see {@code SensorDevice}); every acknowledged append is in
 * {@link #ledger()}. The {@link FleetDemo} drives one through a run; a benchmark can do the same.
 *
 * <p>Thread-safe. Files: one outbox directory per device under the given directory; nothing is
 * deleted. A crash leaves the outboxes as they are (durable, re-sendable); {@link #close()} stops
 * producers, engines, proxies and timers.
 */
public final class Fleet implements AutoCloseable {
  /** The longest outage a device's chaos schedule put it through. */
  public record Outage(String device, Duration duration) {}

  private final FleetConfig config;
  private final Clock clock;
  private volatile Instant startedAt;
  private final AckLedger ledger = AckLedger.inMemory();
  private final List<SensorDevice> devices = new ArrayList<>();
  private final List<ChaosSchedule> schedules = new ArrayList<>();
  private final List<ScheduledFuture<?>> chaosStarts = new ArrayList<>();
  private final ScheduledThreadPoolExecutor producerTimer;
  private final ScheduledThreadPoolExecutor chaosTimer;
  private final Object lock = new Object();
  private boolean healed;

  private Fleet(FleetConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.startedAt = clock.instant();
    this.producerTimer = timer(Math.min(8, 2 + config.devices() / 25), "outpost-fleet-producer-");
    this.chaosTimer = timer(1, "outpost-fleet-chaos-");
  }

  /**
   * Starts {@code config.devices()} devices named {@code dev-01}… against the server at
   * {@code server}, each enrolled through {@code enroll} (device id in, device token out), with
   * outboxes under {@code dir}. Producers and chaos start at once.
   */
  public static Fleet start(
      FleetConfig config, InetSocketAddress server, Function<String, String> enroll, Path dir, Clock clock)
      throws IOException {
    Fleet fleet = new Fleet(config, clock);
    try {
      fleet.startDevices(server, enroll, dir);
    } catch (IOException | RuntimeException e) {
      fleet.close();
      throw e;
    }
    return fleet;
  }

  private void startDevices(InetSocketAddress server, Function<String, String> enroll, Path dir)
      throws IOException {
    SplittableRandom root = new SplittableRandom(config.seed());
    int width = Math.max(2, String.valueOf(config.devices()).length());
    for (int i = 1; i <= config.devices(); i++) {
      String id = "dev-" + "0".repeat(width - String.valueOf(i).length()) + i;
      SplittableRandom random = root.split();
      FaultProxy proxy = FaultProxy.start(id, server);
      try {
        devices.add(SensorDevice.start(id, enroll.apply(id), dir.resolve(id), proxy, ledger, random,
            config.readingMin(), config.readingMax(), clock));
      } catch (RuntimeException e) {
        proxy.close();
        throw e;
      }
      if (config.chaos()) {
        ChaosSchedule schedule = demoChaos(new Random(random.nextLong()));
        schedules.add(schedule);
        // a calm first few seconds, staggered, so the fleet does not fall over in lockstep
        long calm = 1000 + random.nextLong(4000);
        chaosStarts.add(chaosTimer.schedule(() -> startChaos(schedule, proxy), calm, TimeUnit.MILLISECONDS));
      }
    }
    startedAt = clock.instant();
    for (SensorDevice d : devices) {
      d.startProducing(producerTimer);
    }
  }

  /** A bad day with short periods, so a one-minute demo shows every kind of fault. */
  private ChaosSchedule demoChaos(Random random) {
    return ChaosSchedule.builder(random)
        .clock(clock)
        .scheduler((delay, task) -> {
          ScheduledFuture<?> f = chaosTimer.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
          return () -> f.cancel(false);
        })
        .calm(Duration.ofSeconds(2), Duration.ofSeconds(6))
        .outage(Duration.ofSeconds(2), Duration.ofSeconds(10))
        .slow(Duration.ofSeconds(2), Duration.ofSeconds(5), 2048)
        .burst(Duration.ofSeconds(1), Duration.ofSeconds(3))
        .blip(Duration.ofMillis(500), Duration.ofMillis(1500))
        .build();
  }

  private void startChaos(ChaosSchedule schedule, FaultProxy proxy) {
    synchronized (lock) {
      if (!healed) {
        schedule.start(proxy);
      }
    }
  }

  /** When the producers started (every device was up by then). */
  public Instant startedAt() {
    return startedAt;
  }

  public FleetConfig config() {
    return config;
  }

  /** Every append acknowledged to a producer. */
  public AckLedger ledger() {
    return ledger;
  }

  public List<String> deviceIds() {
    return devices.stream().map(SensorDevice::id).toList();
  }

  /** The fleet now: link states, backlog, delivered and dead letters, summed over devices. */
  public FleetSnapshot snapshot() {
    int online = 0;
    int degraded = 0;
    int offline = 0;
    long backlog = 0;
    long alertBacklog = 0;
    long delivered = 0;
    long deadLetters = 0;
    for (SensorDevice d : devices) {
      SyncStatus s = d.status();
      d.noteDown(s);
      switch (s.link()) {
        case ONLINE -> online++;
        case DEGRADED, TRANSITIONING -> degraded++;
        case OFFLINE -> offline++;
      }
      var stats = d.outboxStats();
      backlog += stats.pendingTotal() + stats.inFlight();
      alertBacklog += s.backlog().getOrDefault(Priority.CRITICAL, 0L) + s.backlog().getOrDefault(Priority.HIGH, 0L);
      delivered += s.delivered();
      deadLetters += stats.deadLetters();
    }
    return new FleetSnapshot(Duration.between(startedAt, clock.instant()), online, degraded, offline,
        backlog, alertBacklog, delivered, deadLetters);
  }

  /** Stops every producer; returns once none is appending. */
  public void stopProducing() {
    for (SensorDevice d : devices) {
      d.stopProducing();
    }
  }

  /** Ends the chaos: every proxy passes from now on, and every engine probes at once. */
  public void heal() {
    synchronized (lock) {
      healed = true;
      chaosStarts.forEach(f -> f.cancel(false));
    }
    for (ChaosSchedule s : schedules) {
      s.heal();
    }
    for (SensorDevice d : devices) {
      d.proxy().heal();
      d.probeNow();
    }
  }

  /** Records not yet delivered (pending or in flight), by device, only devices with some. */
  public Map<String, Long> undelivered() {
    Map<String, Long> left = new LinkedHashMap<>();
    for (SensorDevice d : devices) {
      long n = d.undelivered();
      if (n > 0) {
        left.put(d.id(), n);
      }
    }
    return left;
  }

  public long produced() {
    return devices.stream().mapToLong(SensorDevice::produced).sum();
  }

  public long appendFailures() {
    return devices.stream().mapToLong(SensorDevice::appendFailures).sum();
  }

  public long alertsProduced() {
    return devices.stream().mapToLong(SensorDevice::alerts).sum();
  }

  public long retries() {
    return devices.stream().mapToLong(d -> d.status().retries()).sum();
  }

  /** Bytes every device sent towards the server through its proxy (bodies, headers, retries). */
  public long wireBytesUp() {
    return devices.stream().mapToLong(d -> d.proxy().stats().bytesUp()).sum();
  }

  /** The longest outage (REFUSE or BLACKHOLE) a schedule applied, or null without chaos. */
  public Outage longestOutage() {
    Outage best = null;
    for (int i = 0; i < schedules.size(); i++) {
      Duration d = schedules.get(i).longestOutage();
      if (best == null || d.compareTo(best.duration()) > 0) {
        best = new Outage(devices.get(i).id(), d);
      }
    }
    return best;
  }

  /** The longest a device's engine saw its link down, as sampled by {@link #snapshot()}. */
  public Outage longestDownSeen() {
    Outage best = new Outage("-", Duration.ZERO);
    for (SensorDevice d : devices) {
      if (d.longestDown().compareTo(best.duration()) > 0) {
        best = new Outage(d.id(), d.longestDown());
      }
    }
    return best;
  }

  /** Fault episodes applied over all devices, by kind (calm phases not counted). */
  public Map<Fault.Kind, Integer> chaosEpisodes() {
    Map<Fault.Kind, Integer> sum = new EnumMap<>(Fault.Kind.class);
    for (ChaosSchedule s : schedules) {
      s.history().stream()
          .filter(p -> p.fault().kind() != Fault.Kind.PASS)
          .forEach(p -> sum.merge(p.fault().kind(), 1, Integer::sum));
    }
    return sum;
  }

  /** Stops producers, chaos, engines, outboxes and proxies; idempotent. */
  @Override
  public void close() {
    stopProducing();
    producerTimer.shutdownNow();
    synchronized (lock) {
      healed = true;
    }
    schedules.forEach(ChaosSchedule::close);
    chaosTimer.shutdownNow();
    RuntimeException first = null;
    for (SensorDevice d : devices) {
      try {
        d.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
      d.proxy().close();
    }
    awaitQuietly(producerTimer);
    awaitQuietly(chaosTimer);
    if (first != null) {
      throw first;
    }
  }

  private static ScheduledThreadPoolExecutor timer(int threads, String prefix) {
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(
        threads, Thread.ofPlatform().daemon().name(prefix, 0).factory());
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  private static void awaitQuietly(ScheduledExecutorService s) {
    try {
      s.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
