package dev.outpost.edge.sync;

import dev.outpost.edge.Drain;
import dev.outpost.edge.http.HttpTransport;
import dev.outpost.edge.sync.internal.Uplink;
import java.time.Clock;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The uplink: drains an outbox's {@link Drain} side to the server through a {@link Transport},
 * most urgent first, and settles every record by the server's answer (stored or duplicate: ack;
 * rejected: dead letter with the server's reason; no answer: released and retried with backoff
 * and jitter). A {@link LinkMonitor} fed from the same transport decides when and how hard to
 * push. The way of one batch is told in docs/architecture.md; the implementation is
 * {@code dev.outpost.edge.sync.internal.Uplink}.
 *
 * <p>Holds no records of its own: a crash at any point leaves every unsettled record leased in
 * the outbox, pending again after the lease timeout or a restart, and the server's dedupe makes
 * the re-send harmless. Thread-safe.
 */
public interface SyncEngine extends AutoCloseable {

  /** Starts draining {@code outbox} to the server in {@code config} over HTTP. */
  static SyncEngine start(Drain outbox, SyncConfig config) {
    return builder(outbox, config).start();
  }

  /** An engine with an injected transport, link monitor, clock or random source. */
  static Builder builder(Drain outbox, SyncConfig config) {
    return new Builder(outbox, config);
  }

  /** The link monitor this engine feeds and follows. */
  LinkMonitor linkMonitor();

  /** Tells the engine new records are there (it also polls every {@code idlePoll}). */
  void wake();

  /** The connection health: link, errors, last success, backlog per priority. */
  SyncStatus status();

  /** Stops leasing, waits briefly for batches in flight to settle, stops the link monitor. */
  @Override
  void close();

  /** Builds and starts a {@link SyncEngine}. Not thread-safe; use once. */
  final class Builder {
    private final Drain outbox;
    private final SyncConfig config;
    private Transport transport;
    private boolean ownsTransport;
    private LinkMonitor monitor;
    private Clock clock = Clock.systemUTC();
    private RandomGenerator random;

    private Builder(Drain outbox, SyncConfig config) {
      this.outbox = Objects.requireNonNull(outbox, "outbox");
      this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * The transport to send through (default: an {@link HttpTransport} to {@code config.transport().server()},
     * closed with the engine).
     *
     * @param closeWithEngine whether closing the engine closes the transport
     */
    public Builder transport(Transport transport, boolean closeWithEngine) {
      this.transport = Objects.requireNonNull(transport, "transport");
      this.ownsTransport = closeWithEngine;
      return this;
    }

    /**
     * The link monitor, which must probe through the same transport (default: a new one). The
     * engine starts it and closes it when the engine closes.
     */
    public Builder linkMonitor(LinkMonitor monitor) {
      this.monitor = Objects.requireNonNull(monitor, "monitor");
      return this;
    }

    /** The clock for backoff, leases and status (default: the system's UTC clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The random source of the retry jitter (default: a new {@link SplittableRandom}). */
    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** Starts the engine: its drain thread and the link monitor's heartbeat. */
    public SyncEngine start() {
      Transport t = transport;
      boolean owns = ownsTransport;
      if (t == null) {
        t = new HttpTransport(config.transport(), clock);
        owns = true;
      }
      LinkMonitor m = monitor != null ? monitor : new LinkMonitor(t, config.link(), clock);
      return Uplink.start(outbox, config, t, owns, m, clock, random != null ? random : new SplittableRandom());
    }
  }
}
