package dev.outpost.sim.internal;

import dev.outpost.core.LinkStateMachine;
import dev.outpost.core.Priority;
import dev.outpost.edge.http.HttpTransport;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxStats;
import dev.outpost.edge.sync.SyncConfig;
import dev.outpost.edge.sync.SyncEngine;
import dev.outpost.edge.sync.SyncStatus;
import dev.outpost.sim.AckLedger;
import dev.outpost.sim.FaultProxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One simulated device of the fleet: a real SQLite {@link Outbox}, a {@link SyncEngine} that
 * talks to the server through this device's {@link FaultProxy}, and a producer that appends a
 * temperature and a humidity reading (NORMAL, {@code sensors/<kind>}) every few hundred ms, plus
 * an {@code alerts/temperature} record (HIGH, or CRITICAL for a bigger excursion) when the
 * {@link SensorModel} says a threshold was crossed. Each tick's records go in one durable
 * transaction; once it returns they are in the {@link AckLedger}.
 *
 * <p>Thread-safe: ticks run one at a time on the shared producer timer; {@link #stopProducing}
 * waits for a running tick. Durability is the outbox's: a crash loses nothing acknowledged.
 */
public final class SensorDevice implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SensorDevice.class);

  public static final String TEMPERATURE = "sensors/temperature";
  public static final String HUMIDITY = "sensors/humidity";
  public static final String ALERTS = "alerts/temperature";

  private final String id;
  private final Outbox outbox;
  private final SyncEngine engine;
  private final FaultProxy proxy;
  private final AckLedger ledger;
  private final SensorModel sensors;
  private final SplittableRandom random;
  private final Duration readingMin;
  private final Duration readingMax;
  private final Clock clock;
  private final Object tickLock = new Object();
  private final AtomicLong produced = new AtomicLong();
  private final AtomicLong appendFailures = new AtomicLong();
  private final AtomicLong alerts = new AtomicLong();
  private final AtomicLong longestDownMillis = new AtomicLong();
  private volatile boolean producing;
  private ScheduledFuture<?> nextTick; // guarded by tickLock

  private SensorDevice(
      String id, Outbox outbox, SyncEngine engine, FaultProxy proxy, AckLedger ledger,
      SplittableRandom random, Duration readingMin, Duration readingMax, Clock clock) {
    this.id = id;
    this.outbox = outbox;
    this.engine = engine;
    this.proxy = proxy;
    this.ledger = ledger;
    this.random = random;
    this.sensors = new SensorModel(random.split());
    this.readingMin = readingMin;
    this.readingMax = readingMax;
    this.clock = clock;
  }

  /**
   * Opens the outbox in {@code dir} and starts the engine against {@code proxy}; closes what it
   * opened if a later step fails.
   */
  public static SensorDevice start(
      String id, String token, Path dir, FaultProxy proxy, AckLedger ledger, SplittableRandom random,
      Duration readingMin, Duration readingMax, Clock clock) {
    Outbox outbox = Outbox.open(dir, OutboxConfig.builder().clock(clock).build());
    try {
      SyncConfig config = demoSync(proxy.uri(), id, token);
      SyncEngine engine = SyncEngine.builder(outbox, config)
          .transport(new HttpTransport(config.transport(), clock), true).clock(clock).random(random.split()).start();
      return new SensorDevice(id, outbox, engine, proxy, ledger, random, readingMin, readingMax, clock);
    } catch (RuntimeException e) {
      outbox.close();
      throw e;
    }
  }

  /**
   * Settings that show a fault within a second or two and recover as fast: short timeouts,
   * fast probes while the link is down, short backoff, DEGRADED above 1.5 s latency or 30 %
   * failures. The way back from DEGRADED is the engine's default (a heartbeat a second while
   * DEGRADED, three fast answers in a row), as is the 10 s heartbeat while ONLINE.
   */
  static SyncConfig demoSync(URI server, String id, String token) {
    return SyncConfig.builder(server, id, token)
        .maxBatchRecords(500)
        .linger(Duration.ofMillis(200))
        .maxInFlight(2)
        .connectTimeout(Duration.ofSeconds(1))
        .requestTimeout(Duration.ofSeconds(3))
        .leaseTimeout(Duration.ofSeconds(10))
        .retry(Duration.ofMillis(100), Duration.ofSeconds(2))
        .authRetryInterval(Duration.ofSeconds(5))
        .heartbeat(Duration.ofSeconds(10), Duration.ofMillis(250), Duration.ofSeconds(1))
        .healthReportInterval(Duration.ofSeconds(5))
        .linkPolicy(new LinkStateMachine.Policy(20, 0.3, Duration.ofMillis(1500), 3, Duration.ofSeconds(2)))
        .build();
  }

  public String id() {
    return id;
  }

  public FaultProxy proxy() {
    return proxy;
  }

  /** Starts ticking on {@code timer}: a first reading within one interval, then one per interval. */
  public void startProducing(ScheduledExecutorService timer) {
    synchronized (tickLock) {
      producing = true;
      scheduleNext(timer);
    }
  }

  /** Stops the producer; returns once no tick runs any more. */
  public void stopProducing() {
    producing = false;
    synchronized (tickLock) {
      if (nextTick != null) {
        nextTick.cancel(false);
      }
    }
  }

  /** Records the producer tried to append. */
  public long produced() {
    return produced.get();
  }

  /** Records whose append failed (e.g. outbox full): produced, never acknowledged. */
  public long appendFailures() {
    return appendFailures.get();
  }

  /** HIGH and CRITICAL alert records produced. */
  public long alerts() {
    return alerts.get();
  }

  public SyncStatus status() {
    return engine.status();
  }

  public OutboxStats outboxStats() {
    return outbox.stats();
  }

  /** Notes how long the link has been down right now (from a status); keeps the longest. */
  public void noteDown(SyncStatus status) {
    if (status.offlineSince() != null) {
      long down = clock.millis() - status.offlineSince().toEpochMilli();
      longestDownMillis.accumulateAndGet(down, Math::max);
    }
  }

  /** The longest the engine saw its link down (TRANSITIONING or OFFLINE), sampled. */
  public Duration longestDown() {
    return Duration.ofMillis(longestDownMillis.get());
  }

  /** Tells the engine the network is back: probe now instead of after the heartbeat backoff. */
  public void probeNow() {
    engine.linkMonitor().probeNow();
    engine.wake();
  }

  /** Pending plus in-flight records: 0 once everything was delivered or dead-lettered. */
  public long undelivered() {
    OutboxStats s = outbox.stats();
    return s.pendingTotal() + s.inFlight();
  }

  @Override
  public void close() {
    stopProducing();
    try {
      engine.close();
    } finally {
      outbox.close();
    }
  }

  private void scheduleNext(ScheduledExecutorService timer) { // holds tickLock
    long min = readingMin.toMillis();
    long delay = min + random.nextLong(readingMax.toMillis() - min + 1);
    nextTick = timer.schedule(() -> tick(timer), delay, TimeUnit.MILLISECONDS);
  }

  private void tick(ScheduledExecutorService timer) {
    synchronized (tickLock) {
      if (!producing) {
        return;
      }
      appendReadings();
      if (producing && !timer.isShutdown()) {
        scheduleNext(timer);
      }
    }
  }

  private void appendReadings() {
    long at = clock.millis();
    SensorModel.Step s = sensors.next();
    List<NewRecord> records = new ArrayList<>(3);
    records.add(new NewRecord(TEMPERATURE, reading("temperature", s.temperatureC(), "C", at), Priority.NORMAL));
    records.add(new NewRecord(HUMIDITY, reading("humidity", s.humidityPct(), "%", at), Priority.NORMAL));
    if (s.alert() != null) {
      records.add(new NewRecord(ALERTS, alert(s, at), s.alert()));
      alerts.incrementAndGet();
    }
    produced.addAndGet(records.size());
    List<Long> seqs;
    try {
      seqs = outbox.appendAll(records);
    } catch (RuntimeException e) {
      if (appendFailures.getAndAdd(records.size()) == 0) {
        log.warn("device {}: append failed, its readings are counted as not acknowledged: {}", id, e.getMessage());
      }
      return;
    }
    for (int i = 0; i < records.size(); i++) {
      NewRecord r = records.get(i);
      ledger.acknowledged(id, outbox.epoch(), seqs.get(i), r.topic(), r.priority());
    }
    engine.wake();
  }

  private byte[] reading(String kind, double value, String unit, long at) {
    return String.format(Locale.ROOT, "{\"device\":\"%s\",\"kind\":\"%s\",\"value\":%.2f,\"unit\":\"%s\",\"at\":%d}",
        id, kind, value, unit, at).getBytes(StandardCharsets.UTF_8);
  }

  private byte[] alert(SensorModel.Step s, long at) {
    double threshold = s.alert() == Priority.CRITICAL ? SensorModel.CRITICAL_C : SensorModel.ALERT_C;
    return String.format(Locale.ROOT,
        "{\"device\":\"%s\",\"alert\":\"temperature above %.1f C\",\"value\":%.2f,\"level\":\"%s\",\"at\":%d}",
        id, threshold, s.temperatureC(), s.alert(), at).getBytes(StandardCharsets.UTF_8);
  }
}
