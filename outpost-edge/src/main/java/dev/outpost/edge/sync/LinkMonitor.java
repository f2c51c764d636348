package dev.outpost.edge.sync;

import dev.outpost.core.LinkState;
import dev.outpost.core.LinkStateMachine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the uplink: learns from every request outcome the sync engine feeds it, plus a light
 * heartbeat ({@code GET /healthz}) whose interval adapts — every {@code heartbeatOnline} while
 * the link is ONLINE (skipped when a small request succeeded that recently), every
 * {@code heartbeatDegraded} while it is DEGRADED (those probes are what bring it back when only
 * NORMAL records wait), from {@code heartbeatOfflineMin} doubling to {@code heartbeatOfflineMax}
 * while it is down. The state logic itself is the pure {@link LinkStateMachine}.
 *
 * <p>Thread-safe: outcomes may come from any thread; listeners are called outside the lock on
 * the thread that caused the change. Holds no data; a crash loses only the link history.
 * Starts OFFLINE and probes at once on {@link #start()}.
 */
public final class LinkMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LinkMonitor.class);

  /**
   * A consistent view of the link.
   *
   * @param upSince when the link last came up (ONLINE or DEGRADED), or null while down
   * @param downSince when the link last went down (TRANSITIONING or OFFLINE), or null while up
   */
  public record Snapshot(
      LinkState state,
      Instant stateSince,
      Instant upSince,
      Instant downSince,
      int consecutiveFailures,
      double failureShare,
      Duration averageLatency,
      Duration nextHeartbeatIn,
      ErrorKind lastFailureKind,
      String lastFailure,
      Instant lastFailureAt) {}

  private final Transport transport;
  private final LinkConfig config;
  private final Clock clock;
  private final LinkStateMachine machine;
  private final ScheduledExecutorService timer;
  private final List<LinkListener> listeners = new CopyOnWriteArrayList<>();
  private Duration offlineDelay;
  private long lastSampleMillis = Long.MIN_VALUE / 2;
  private Instant upSince;
  private Instant downSince;
  private ScheduledFuture<?> nextBeat;
  private long nextBeatAtMillis;
  private boolean closed;
  private ErrorKind lastFailureKind;
  private String lastFailure;
  private Instant lastFailureAt;

  public LinkMonitor(Transport transport, LinkConfig config, Clock clock) {
    this.transport = transport;
    this.config = config;
    this.clock = clock;
    this.machine = new LinkStateMachine(config.policy(), LinkState.OFFLINE, clock.millis());
    this.offlineDelay = config.heartbeatOfflineMin();
    this.downSince = clock.instant();
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("outpost-link-monitor").unstarted(r));
  }

  /** Probes now and keeps the heartbeat going until {@link #close()}. */
  public synchronized void start() {
    schedule(Duration.ZERO);
  }

  public void addListener(LinkListener listener) {
    listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
  }

  public synchronized LinkState state() {
    return machine.state();
  }

  public synchronized Snapshot snapshot() {
    long now = clock.millis();
    return new Snapshot(
        machine.state(),
        Instant.ofEpochMilli(machine.stateSinceMillis()),
        upSince,
        downSince,
        machine.consecutiveFailures(),
        machine.failureShare(),
        Duration.ofMillis(machine.averageLatencyMillis()),
        Duration.ofMillis(Math.max(0, nextBeatAtMillis - now)),
        lastFailureKind,
        lastFailure,
        lastFailureAt);
  }

  /**
   * A request got an answer from the server (any answer that proves the link works).
   *
   * @param latency how long it took, or null when the time says nothing about the link (a
   *     large batch's upload): a success without a latency sample
   */
  public void recordSuccess(Duration latency) {
    LinkState from;
    LinkState to;
    synchronized (this) {
      long now = clock.millis();
      from = machine.state();
      if (latency != null) {
        lastSampleMillis = now;
      }
      to = machine.onSuccess(now, latency == null ? -1 : latency.toMillis());
      afterChange(from, to);
    }
    fire(from, to);
  }

  /** A request got no usable answer (network error, timeout, 5xx). */
  public void recordFailure(ErrorKind kind, String message) {
    LinkState from;
    LinkState to;
    synchronized (this) {
      from = machine.state();
      lastFailureKind = kind;
      lastFailure = message;
      lastFailureAt = clock.instant();
      to = machine.onFailure(clock.millis());
      afterChange(from, to);
    }
    if (from != to) {
      LOG.info("uplink {} -> {} after {}: {}", from, to, kind, message);
    }
    fire(from, to);
  }

  /** Probes at once (e.g. when the application knows the network just came back). */
  public synchronized void probeNow() {
    schedule(Duration.ZERO);
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      if (nextBeat != null) {
        nextBeat.cancel(false);
      }
    }
    timer.shutdownNow();
  }

  private void beat() {
    boolean recentTraffic;
    synchronized (this) {
      if (closed) {
        return;
      }
      // a request answered with a latency sample that recently makes the heartbeat redundant
      recentTraffic =
          machine.state().drainsEverything()
              && clock.millis() - lastSampleMillis < config.heartbeatOnline().toMillis();
    }
    if (!recentTraffic) {
      SendOutcome o = transport.probe();
      if (o instanceof SendOutcome.Answered a) {
        recordSuccess(a.latency());
      } else if (o instanceof SendOutcome.Failed f && f.kind().linkFailure()) {
        recordFailure(f.kind(), f.message());
      } else {
        recordSuccess(o.latency()); // a busy server (429/503) still proves the link works
      }
    }
    LinkState from;
    LinkState to;
    synchronized (this) {
      from = machine.state();
      to = machine.tick(clock.millis());
      afterChange(from, to);
      if (closed) {
        return;
      }
      schedule(nextInterval());
    }
    fire(from, to);
  }

  private Duration nextInterval() {
    return switch (machine.state()) {
      case ONLINE -> config.heartbeatOnline();
      case DEGRADED -> config.heartbeatDegraded();
      case TRANSITIONING -> {
        Duration toGraceEnd = Duration.ofMillis(Math.max(1, machine.graceEndsAtMillis() - clock.millis()));
        yield min(config.heartbeatOfflineMin(), toGraceEnd);
      }
      case OFFLINE -> {
        Duration d = offlineDelay;
        offlineDelay = min(offlineDelay.multipliedBy(2), config.heartbeatOfflineMax());
        yield d;
      }
    };
  }

  /** Called under the lock after every transition attempt. */
  private void afterChange(LinkState from, LinkState to) {
    if (from == to) {
      return;
    }
    if (to == LinkState.DEGRADED) {
      // probe soon: with nothing urgent pending, only heartbeats can bring the link back
      long soon = config.heartbeatDegraded().toMillis();
      if (nextBeat == null || nextBeatAtMillis - clock.millis() > soon) {
        schedule(config.heartbeatDegraded());
      }
    }
    boolean wasUp = from == LinkState.ONLINE || from == LinkState.DEGRADED;
    boolean isUp = to == LinkState.ONLINE || to == LinkState.DEGRADED;
    if (isUp && !wasUp) {
      upSince = clock.instant();
      downSince = null;
      offlineDelay = config.heartbeatOfflineMin();
      schedule(to == LinkState.DEGRADED ? config.heartbeatDegraded() : config.heartbeatOnline());
    } else if (!isUp && wasUp) {
      upSince = null;
      downSince = clock.instant();
      offlineDelay = config.heartbeatOfflineMin();
      schedule(nextInterval());
    }
  }

  private void schedule(Duration delay) {
    if (closed) {
      return;
    }
    if (nextBeat != null) {
      nextBeat.cancel(false);
    }
    nextBeatAtMillis = clock.millis() + delay.toMillis();
    nextBeat = timer.schedule(this::beatSafely, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void beatSafely() {
    try {
      beat();
    } catch (RuntimeException e) {
      LOG.warn("link heartbeat failed unexpectedly; retrying in {}", config.heartbeatOfflineMin(), e);
      synchronized (this) {
        schedule(config.heartbeatOfflineMin());
      }
    }
  }

  private void fire(LinkState from, LinkState to) {
    if (from == to) {
      return;
    }
    if (to == LinkState.ONLINE || from == LinkState.ONLINE) {
      LOG.info("uplink {} -> {}", from, to);
    }
    for (LinkListener l : listeners) {
      try {
        l.onLinkStateChange(from, to);
      } catch (RuntimeException e) {
        LOG.warn("link listener {} failed on {} -> {}", l, from, to, e);
      }
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
