package dev.outpost.edge.sync.internal;

import dev.outpost.core.Backoff;
import dev.outpost.core.LinkState;
import dev.outpost.core.Priority;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.Drain;
import dev.outpost.edge.OutboxStats;
import dev.outpost.edge.sync.ErrorKind;
import dev.outpost.edge.sync.LinkMonitor;
import dev.outpost.edge.sync.SendOutcome;
import dev.outpost.edge.sync.SyncConfig;
import dev.outpost.edge.sync.SyncEngine;
import dev.outpost.edge.sync.SyncStatus;
import dev.outpost.edge.sync.Transport;
import dev.outpost.edge.sync.internal.BatchDelivery.Verdict;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link SyncEngine}: drains an outbox's {@link Drain} side to the server: leases batches (most urgent first), sends them through
 * a {@link Transport}, and settles every record by the server's answer — stored/duplicate → ack,
 * rejected → dead letter with the server's reason, no answer → release for a retry.
 *
 * <p><b>Order and pipelining:</b> up to {@code maxInFlight} batches are leased at once. Batches
 * on disjoint lanes travel in parallel; the next batch of a busy (topic, priority) lane is
 * leased ahead. If the server chains ({@link Transport#chains()}), it is sent once its latest
 * predecessor's request has started, naming it, and the server stores it only after that one
 * (409 otherwise, and it is released); if not, it is sent only after the server answered its
 * predecessors in full, and released unsent if one failed (see {@code SendOrder}). Either way
 * the server sees every lane in seq order while the outbox's lease and ack overlap with the
 * network.
 *
 * <p><b>Failures:</b> no answer → release, exponential backoff with full jitter (capped before
 * jitter), reset on success; 429/503 wait the server's Retry-After; 401/403/415 pause the uplink
 * (visible in {@link #status()}, one try per {@code authRetryInterval}, nothing dead-lettered);
 * 413 and whole-batch 400/422 split the batch until the one bad record is dead-lettered.
 *
 * <p><b>Link:</b> a {@link LinkMonitor} learns from every outcome. OFFLINE sends nothing;
 * DEGRADED and TRANSITIONING send only CRITICAL and HIGH in small batches; coming back ONLINE
 * drains at once.
 *
 * <p>Thread-safe. Holds no records of its own: a crash at any point leaves every unsettled
 * record leased in the outbox, pending again after the lease timeout or a restart, and the
 * server's dedupe makes the re-send harmless.
 */
public final class Uplink implements SyncEngine {
  private static final Logger LOG = LoggerFactory.getLogger(Uplink.class);
  private static final long DEGRADED_MAX_BYTES = 256 * 1024;
  /**
   * How long batches go unchained after the server refused a chained batch whose predecessor we
   * know it stored: that server does not see our chain (it restarted, or several servers share
   * the device behind a load balancer), and every chained batch would wait there and be refused.
   */
  static final Duration CHAIN_PAUSE = Duration.ofMinutes(1);

  private final Drain outbox;
  private final SyncConfig config;
  private final Transport transport;
  private final boolean ownsTransport;
  private final Clock clock;
  private final LinkMonitor monitor;
  private final BatchDelivery delivery;
  private final ExecutorService senders;
  private final Thread drainThread;
  private final Instant startedAt;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final SendOrder order = new SendOrder();
  private final RetryGate gate;
  private long nextHealthReportMillis; // guarded by lock
  private volatile long chainingPausedUntilMillis;
  private volatile boolean running = true;

  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();

  private Uplink(
      Drain outbox, SyncConfig config, Transport transport, boolean ownsTransport, LinkMonitor monitor,
      Clock clock, RandomGenerator random) {
    this.outbox = outbox;
    this.config = config;
    this.transport = transport;
    this.ownsTransport = ownsTransport;
    this.clock = clock;
    this.gate = new RetryGate(
        Backoff.exponentialFullJitter(config.retryInitial(), 2.0, config.retryCap(), random),
        config.authRetryInterval(), config.batchGrowAfter());
    this.monitor = monitor;
    this.delivery = new BatchDelivery(transport, config.transport().deviceId());
    this.startedAt = clock.instant();
    this.senders = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("outpost-sync-send-", 0).factory());
    this.drainThread = Thread.ofPlatform().daemon().name("outpost-sync")
        .uncaughtExceptionHandler((t, e) -> {
          // only the JVM's own errors get here (drainLoop handles the rest); the agent exits on
          // OutOfMemoryError, an embedding application has to decide for itself
          LOG.error("the uplink has stopped: its thread died; records stay in the outbox", e);
          gate.noteError(ErrorKind.LOCAL, "uplink stopped: " + e, clock.instant());
        })
        .unstarted(this::drainLoop);
    monitor.addListener(this::onLinkChange);
  }

  /**
   * Starts draining {@code outbox}; {@link SyncEngine.Builder} is the way in.
   *
   * @param ownsTransport whether {@link #close()} closes the transport
   * @param monitor the link monitor fed from {@code transport}; started here, closed by {@link #close()}
   */
  public static Uplink start(
      Drain outbox, SyncConfig config, Transport transport, boolean ownsTransport, LinkMonitor monitor,
      Clock clock, RandomGenerator random) {
    Uplink e = new Uplink(outbox, config, transport, ownsTransport, monitor, clock, random);
    e.drainThread.start();
    e.monitor.start();
    return e;
  }

  @Override
  public LinkMonitor linkMonitor() {
    return monitor;
  }

  @Override
  public void wake() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public SyncStatus status() {
    LinkMonitor.Snapshot link = monitor.snapshot();
    OutboxStats stats = outbox.stats();
    Map<Priority, Long> backlog = new EnumMap<>(Priority.class);
    for (Priority p : Priority.values()) {
      backlog.put(p, stats.pendingCount().getOrDefault(p, 0L));
    }
    RetryGate.Snapshot g = gate.snapshot(clock.millis());
    Transport.Traffic traffic = transport.traffic();
    // the latest error wins, whether a request or a heartbeat saw it
    boolean heartbeatLater = link.lastFailureAt() != null
        && (g.lastErrorAt() == null || link.lastFailureAt().isAfter(g.lastErrorAt()));
    return new SyncStatus(
        link.state(), g.pausedBy(), Duration.between(startedAt, clock.instant()), link.upSince(),
        link.downSince(), link.consecutiveFailures(),
        heartbeatLater ? link.lastFailureKind() : g.lastErrorKind(),
        heartbeatLater ? link.lastFailure() : g.lastError(),
        heartbeatLater ? link.lastFailureAt() : g.lastErrorAt(),
        g.lastSuccess(), backlog, order.inFlight(),
        g.nextAttemptAtMillis() == 0 ? null : Instant.ofEpochMilli(g.nextAttemptAtMillis()),
        delivered.get(), deadLettered.get(), retries.get(), traffic.requests(),
        traffic.bytesSent());
  }

  @Override
  public void close() {
    if (!running) {
      return;
    }
    running = false;
    wake();
    try {
      drainThread.join(Duration.ofSeconds(5));
      // batches not yet sent are released at once (deliver() checks running); give those on
      // the wire a moment to be answered before interrupting them
      long deadline = System.nanoTime() + Math.min(config.transport().requestTimeout().toNanos(), 5_000_000_000L);
      lock.lock();
      try {
        while (order.inFlight() > 0 && System.nanoTime() < deadline) {
          changed.await(10, TimeUnit.MILLISECONDS);
        }
      } finally {
        lock.unlock();
      }
      senders.shutdown();
      if (!senders.awaitTermination(1, TimeUnit.SECONDS)) {
        senders.shutdownNow(); // interrupts requests: their records are released
        senders.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      monitor.close();
      if (ownsTransport) {
        transport.close();
      }
    }
  }

  private void drainLoop() {
    int failuresInARow = 0;
    while (running) {
      try {
        step();
        failuresInARow = 0;
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException | LinkageError e) {
        // e.g. the outbox failed to lease: keep the engine alive, try again after a pause
        gate.noteError(ErrorKind.LOCAL, "outbox lease failed: " + e, clock.instant());
        if (failuresInARow++ == 0) {
          LOG.warn("sync step failed; retrying every {} until it works", config.retryInitial(), e);
        }
        gate.hold(clock.millis() + config.retryInitial().toMillis());
      }
    }
  }

  private void step() throws InterruptedException {
    LinkState link = monitor.state();
    LeaseRequest request;
    lock.lock();
    try {
      long now = clock.millis();
      maybeReportHealth(now, link);
      long wait = waitMillis(now, link);
      if (wait > 0) {
        changed.await(wait, TimeUnit.MILLISECONDS);
        return;
      }
      boolean full = link.drainsEverything() && !gate.paused();
      request = new LeaseRequest(
          gate.maxRecords(full ? config.maxBatchRecords() : config.degradedBatchRecords()),
          full ? config.maxBatchBytes() : Math.min(DEGRADED_MAX_BYTES, config.maxBatchBytes()),
          link.lowestPriority(), Set.of(), config.leaseTimeout());
    } finally {
      lock.unlock();
    }
    long lingerLeft = lingerLeftMillis(request, outbox.stats());
    if (lingerLeft > 0) {
      idle(lingerLeft);
      return;
    }
    long epoch = order.releaseEpoch();
    long leaseStart = System.nanoTime();
    Lease lease = outbox.lease(request);
    if (LOG.isDebugEnabled()) {
      LOG.debug("leased {} in {} ms", lease.size(), (System.nanoTime() - leaseStart) / 1_000_000);
    }
    if (lease.isEmpty()) {
      idle(config.idlePoll().toMillis());
      return;
    }
    boolean chaining = transport.chains() && clock.millis() >= chainingPausedUntilMillis;
    SendOrder.Ticket ticket = order.register(lease, epoch, System.nanoTime(), chaining);
    if (ticket == null) {
      // a release ran while we leased: these records may now come after pending ones
      release(lease.seqs());
      return;
    }
    // encode and compress now, while earlier batches of these lanes may still be on their way
    CompletableFuture<Transport.Prepared> prepared;
    try {
      // a transport's prepare must not throw; if one does, send() encodes again and reports it,
      // and the ticket still goes on (a failed future here would hold its lanes forever)
      prepared = CompletableFuture.supplyAsync(() -> delivery.prepare(lease), senders)
          .exceptionally(e -> null);
    } catch (RejectedExecutionException closing) {
      prepared = CompletableFuture.completedFuture(null); // closing: as before, nothing is sent
    }
    ticket.ready().thenAcceptBothAsync(prepared, (ready, p) -> deliver(ticket, p), senders)
        .whenComplete((ok, e) -> {
          if (e != null) { // deliver() handles everything but the JVM's own errors
            LOG.error("a send of {} records died; they return to pending after the lease timeout",
                lease.size(), e);
          }
        });
  }

  /** 0 when a batch may be leased now, else how long to wait (woken early by any change). */
  private long waitMillis(long now, LinkState link) {
    long idle = config.idlePoll().toMillis();
    int inFlight = order.inFlight();
    if (!link.sends()) {
      return Math.max(idle, 1000); // the heartbeat's listener wakes us when the link is back
    }
    long gated = gate.waitMillis(now, inFlight, idle);
    if (gated > 0 || gate.paused()) {
      return gated; // while paused, one probing batch at a time
    }
    int limit =
        switch (link) {
          case ONLINE -> config.maxInFlight();
          case DEGRADED -> Math.min(2, config.maxInFlight());
          default -> 1;
        };
    return inFlight >= limit ? idle : 0;
  }

  /** Size and age triggers: 0 when a batch is worth sending now. */
  private long lingerLeftMillis(LeaseRequest request, OutboxStats s) {
    long count = 0;
    long bytes = 0;
    for (Priority p : Priority.values()) {
      if (p.rank() <= request.lowestPriority().rank()) {
        count += s.pendingCount().getOrDefault(p, 0L);
        bytes += s.pendingBytes().getOrDefault(p, 0L);
      }
    }
    if (count == 0) {
      return config.idlePoll().toMillis();
    }
    if (count >= request.maxRecords()
        || bytes >= request.maxBytes()
        || s.pendingCount().getOrDefault(Priority.CRITICAL, 0L) > 0) {
      return 0;
    }
    long left = config.linger().toMillis() - s.oldestPendingAgeMillis();
    return left <= 0 ? 0 : Math.min(left, config.idlePoll().toMillis());
  }

  private void deliver(SendOrder.Ticket ticket, Transport.Prepared prepared) {
    Lease lease = ticket.lease();
    boolean answered = false;
    try {
      long age = System.nanoTime() - ticket.leasedAtNanos();
      SendOrder.Go go = order.decide(ticket);
      if (!go.send() || !running
          || age > config.leaseTimeout().minus(config.transport().requestTimeout()).toNanos()) {
        // an earlier batch of these lanes was not answered (or the engine is closing, or this
        // lease is about to time out): send nothing, the records go back in order
        release(lease.seqs());
        order.answered(ticket, false);
        answered = true;
        return;
      }
      long sendStart = System.nanoTime();
      order.sending(ticket); // a successor chained to this batch may go now
      Verdict v = delivery.deliver(lease, prepared, new Transport.Chain(ticket.id(), go.after()),
          () -> order.awaitChainedTo(ticket));
      long sent = System.nanoTime();
      if (v.failure() != null && v.failure().kind() == ErrorKind.PREDECESSOR && order.chainedToStored(ticket)) {
        pauseChaining(v.failure().message()); // before the release: its records go again unchained
      }
      if (v.release().isEmpty()) {
        order.answered(ticket, true); // the server holds every record: successors may go
        answered = true;
        settle(v);
        if (LOG.isDebugEnabled()) {
          LOG.debug("batch of {}: waited {} ms for predecessors, sent in {} ms, settled in {} ms",
              lease.size(), (sendStart - ticket.leasedAtNanos()) / 1_000_000,
              (sent - sendStart) / 1_000_000, (System.nanoTime() - sent) / 1_000_000);
        }
      } else {
        release(v.release());
        settle(v);
        order.answered(ticket, false);
        answered = true;
      }
      afterDelivery(v);
    } catch (RuntimeException | LinkageError e) {
      // the outbox could not settle (or a transport threw): keep everything gated until the
      // lease has timed out, so a later lease cannot overtake the unsettled records
      LOG.error("a batch of {} records failed on this device; pausing the uplink for {}",
          lease.size(), config.leaseTimeout(), e);
      gate.noteError(ErrorKind.LOCAL, "batch failed on this device: " + e, clock.instant());
      gate.hold(clock.millis() + config.leaseTimeout().toMillis());
      if (!answered) {
        order.releasing();
        order.answered(ticket, false);
      }
    } finally {
      order.finished(ticket);
      wake();
    }
  }

  private void pauseChaining(String why) {
    long now = clock.millis();
    if (now >= chainingPausedUntilMillis) {
      LOG.warn("the server refused a chained batch although it answered the batch before it ({}); it does"
          + " not see this device's chain (restarted, or another server behind a load balancer): sending"
          + " unchained, each batch after the answer of the one before, for {}", why, CHAIN_PAUSE);
    }
    chainingPausedUntilMillis = now + CHAIN_PAUSE.toMillis();
  }

  private void settle(Verdict v) {
    if (!v.reject().isEmpty()) {
      outbox.reject(v.reject());
      deadLettered.addAndGet(v.reject().size());
    }
    if (!v.ack().isEmpty()) {
      outbox.ack(v.ack());
      delivered.addAndGet(v.ack().size());
    }
  }

  /** Every release goes through here: announced first, so concurrent leases are re-checked. */
  private void release(java.util.List<Long> seqs) {
    order.releasing();
    outbox.release(seqs);
  }

  private void afterDelivery(Verdict v) {
    if (v.smallestTooLarge() > 0) {
      gate.tooLarge(v.smallestTooLarge());
    }
    SendOutcome.Failed f = v.failure();
    if (v.answered()) {
      monitor.recordSuccess(v.latency());
    }
    if (f == null) {
      gate.succeeded(clock.instant());
    } else if (f.kind() == ErrorKind.PREDECESSOR) {
      // the batch before it failed, and that failure set the backoff: just send both again
      retries.incrementAndGet();
      monitor.recordSuccess(null);
    } else if (f.kind() == ErrorKind.AUTH || f.kind() == ErrorKind.UNSUPPORTED) {
      monitor.recordSuccess(null); // the server answered: the link is fine
      gate.pause(f, clock.millis(), clock.instant());
    } else {
      retries.incrementAndGet();
      if (f.kind().linkFailure()) {
        monitor.recordFailure(f.kind(), f.message());
      } else {
        monitor.recordSuccess(null);
      }
      gate.failed(f, clock.millis(), clock.instant());
    }
  }

  private void onLinkChange(LinkState from, LinkState to) {
    lock.lock();
    try {
      if (to == LinkState.ONLINE) {
        // judged healthy again: drain at once, no leftover backoff of the bad spell
        gate.linkBack();
        if (from != LinkState.DEGRADED) {
          nextHealthReportMillis = 0; // back from an outage: tell the server how we were
        }
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Under the lock: sends the health report when due (off this thread). */
  private void maybeReportHealth(long now, LinkState link) {
    if (!link.sends() || now < nextHealthReportMillis || !running) {
      return;
    }
    nextHealthReportMillis = now + config.healthReportInterval().toMillis();
    senders.execute(() -> {
      try {
        byte[] json = dev.outpost.core.wire.WireCodec.mapper().writeValueAsBytes(status().toReport());
        if (!transport.reportHealth(json)) {
          LOG.debug("health report not accepted; next in {}", config.healthReportInterval());
        }
      } catch (java.io.IOException | RuntimeException e) {
        LOG.debug("health report failed", e);
      }
    });
  }

  private void idle(long millis) throws InterruptedException {
    lock.lock();
    try {
      if (running) {
        changed.await(millis, TimeUnit.MILLISECONDS);
      }
    } finally {
      lock.unlock();
    }
  }
}
