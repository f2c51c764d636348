package dev.outpost.edge.sync;

import dev.outpost.core.LinkStateMachine;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.edge.Outbox;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Immutable uplink settings in three parts: the engine's own (batching, leases, retries; the
 * getters here), the transport's ({@link #transport()}: server, identity, encoding, timeouts;
 * TLS goes there) and the link monitor's ({@link #link()}: heartbeats, link policy). Build with
 * {@link #builder(URI, String, String)}, derive with {@link #newBuilder()}; the builder sets all
 * three parts. Setters validate and name the wrong value; nothing is silently replaced.
 *
 * <p>Batching: a batch is sent as soon as {@code maxBatchRecords} records or
 * {@code maxBatchBytes} payload bytes are pending, or the oldest pending record has waited
 * {@code linger}, or a CRITICAL record is pending. Defaults favour throughput on a good link
 * (10,000 records, 4 MiB, 100 ms, binary + zstd, 4 batches in flight).
 *
 * <p>The lease timeout must exceed the request timeout (else a slow answer races a re-lease of
 * the same records); records leased by a crashed process come back when the {@link Outbox}
 * reopens anyway.
 */
public final class SyncConfig {
  private final TransportConfig transport;
  private final LinkConfig link;
  private final int maxBatchRecords;
  private final long maxBatchBytes;
  private final Duration linger;
  private final int maxInFlight;
  private final int degradedBatchRecords;
  private final int batchGrowAfter;
  private final Duration leaseTimeout;
  private final Duration retryInitial;
  private final Duration retryCap;
  private final Duration authRetryInterval;
  private final Duration healthReportInterval;
  private final Duration idlePoll;

  private SyncConfig(Builder b) {
    transport = b.transport.build();
    link = b.link.build();
    maxBatchRecords = b.maxBatchRecords;
    maxBatchBytes = b.maxBatchBytes;
    linger = b.linger;
    maxInFlight = b.maxInFlight;
    degradedBatchRecords = b.degradedBatchRecords;
    batchGrowAfter = b.batchGrowAfter;
    leaseTimeout = b.leaseTimeout;
    retryInitial = b.retryInitial;
    retryCap = b.retryCap;
    authRetryInterval = b.authRetryInterval;
    healthReportInterval = b.healthReportInterval;
    idlePoll = b.idlePoll;
  }

  /**
   * @param server the server's base URI, e.g. {@code http://10.0.0.5:8080}
   * @param deviceId this device's id as registered on the server
   * @param deviceToken the device's bearer token
   */
  public static Builder builder(URI server, String deviceId, String deviceToken) {
    return new Builder(TransportConfig.builder(server, deviceId, deviceToken), LinkConfig.builder());
  }

  public Builder newBuilder() {
    Builder b = new Builder(transport.newBuilder(), link.newBuilder());
    b.maxBatchRecords = maxBatchRecords;
    b.maxBatchBytes = maxBatchBytes;
    b.linger = linger;
    b.maxInFlight = maxInFlight;
    b.degradedBatchRecords = degradedBatchRecords;
    b.batchGrowAfter = batchGrowAfter;
    b.leaseTimeout = leaseTimeout;
    b.retryInitial = retryInitial;
    b.retryCap = retryCap;
    b.authRetryInterval = authRetryInterval;
    b.healthReportInterval = healthReportInterval;
    b.idlePoll = idlePoll;
    return b;
  }

  /** Where the server is and how to talk to it. */
  public TransportConfig transport() { return transport; }
  /** How the link is watched. */
  public LinkConfig link() { return link; }
  /** Most records in one batch on an ONLINE link. Default 10,000 (the server's default limit). */
  public int maxBatchRecords() { return maxBatchRecords; }
  /** Most payload bytes in one batch (the first record always goes). Default 4 MiB. */
  public long maxBatchBytes() { return maxBatchBytes; }
  /** Longest the oldest pending record waits for a fuller batch. Default 100 ms. */
  public Duration linger() { return linger; }
  /**
   * Batches leased and not yet settled at once. Default 4. Batches of one (topic, priority) lane
   * overlap on the wire only with a server that chains them (docs/sync.md, "Batching").
   */
  public int maxInFlight() { return maxInFlight; }
  /** Batch size when the link is DEGRADED or TRANSITIONING. Default 50. */
  public int degradedBatchRecords() { return degradedBatchRecords; }
  /**
   * After a 413 the engine leases smaller batches; after this many successful batches it
   * doubles the size again, up to {@code maxBatchRecords} (a size the server refuses again
   * makes the next wait twice as long). Default 8.
   */
  public int batchGrowAfter() { return batchGrowAfter; }
  /** Outbox lease timeout; longer than the request timeout. Default 2 min. */
  public Duration leaseTimeout() { return leaseTimeout; }
  /** First retry delay (before jitter). Default 200 ms. */
  public Duration retryInitial() { return retryInitial; }
  /** Retry delays double up to this, then full jitter over [0, delay]. Default 30 s. */
  public Duration retryCap() { return retryCap; }
  /** While paused by 401/403/415, one try per this interval. Default 60 s. */
  public Duration authRetryInterval() { return authRetryInterval; }
  /** How often the connection health goes to the server ({@code PUT /v1/health}). Default 30 s. */
  public Duration healthReportInterval() { return healthReportInterval; }
  /** How often an idle engine looks for new records (also woken by {@code wake()}). Default 50 ms. */
  public Duration idlePoll() { return idlePoll; }

  @Override
  public String toString() {
    return "SyncConfig{" + transport + ", maxBatchRecords=" + maxBatchRecords + ", maxBatchBytes=" + maxBatchBytes
        + ", linger=" + linger + ", maxInFlight=" + maxInFlight + ", batchGrowAfter=" + batchGrowAfter
        + ", " + link + ", retryCap=" + retryCap + "}";
  }

  /**
   * Sets the engine's settings and, for convenience, those of its two parts (each method says
   * which part it sets). Not thread-safe.
   */
  public static final class Builder {
    private final TransportConfig.Builder transport;
    private final LinkConfig.Builder link;
    private int maxBatchRecords = 10_000;
    private long maxBatchBytes = 4L << 20;
    private Duration linger = Duration.ofMillis(100);
    private int maxInFlight = 4;
    private int degradedBatchRecords = 50;
    private int batchGrowAfter = 8;
    private Duration leaseTimeout = Duration.ofMinutes(2);
    private Duration retryInitial = Duration.ofMillis(200);
    private Duration retryCap = Duration.ofSeconds(30);
    private Duration authRetryInterval = Duration.ofSeconds(60);
    private Duration healthReportInterval = Duration.ofSeconds(30);
    private Duration idlePoll = Duration.ofMillis(50);

    private Builder(TransportConfig.Builder transport, LinkConfig.Builder link) {
      this.transport = transport;
      this.link = link;
    }

    public Builder maxBatchRecords(int n) {
      this.maxBatchRecords = Durations.atLeast(n, 1, "maxBatchRecords");
      return this;
    }

    public Builder maxBatchBytes(long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxBatchBytes < 1024: " + bytes);
      }
      this.maxBatchBytes = bytes;
      return this;
    }

    public Builder linger(Duration d) {
      this.linger = Durations.nonNegative(d, "linger");
      return this;
    }

    public Builder maxInFlight(int n) {
      this.maxInFlight = Durations.atLeast(n, 1, "maxInFlight");
      return this;
    }

    public Builder degradedBatchRecords(int n) {
      this.degradedBatchRecords = Durations.atLeast(n, 1, "degradedBatchRecords");
      return this;
    }

    public Builder batchGrowAfter(int successes) {
      this.batchGrowAfter = Durations.atLeast(successes, 1, "batchGrowAfter");
      return this;
    }

    /** Transport: {@link TransportConfig.Builder#contentType}. */
    public Builder contentType(String type) {
      transport.contentType(type);
      return this;
    }

    /** Transport: {@link TransportConfig.Builder#contentEncoding}. */
    public Builder contentEncoding(ContentEncoding e) {
      transport.contentEncoding(e);
      return this;
    }

    /** Transport: {@link TransportConfig.Builder#connectTimeout}. */
    public Builder connectTimeout(Duration d) {
      transport.connectTimeout(d);
      return this;
    }

    /** Transport: {@link TransportConfig.Builder#requestTimeout}. */
    public Builder requestTimeout(Duration d) {
      transport.requestTimeout(d);
      return this;
    }

    public Builder leaseTimeout(Duration d) {
      this.leaseTimeout = Durations.positive(d, "leaseTimeout");
      return this;
    }

    /** Retry delays: {@code initial} doubling up to {@code cap}, then full jitter. */
    public Builder retry(Duration initial, Duration cap) {
      Durations.positive(initial, "retry initial");
      Durations.positive(cap, "retry cap");
      if (cap.compareTo(initial) < 0) {
        throw new IllegalArgumentException("retry cap " + cap + " < initial " + initial);
      }
      this.retryInitial = initial;
      this.retryCap = cap;
      return this;
    }

    public Builder authRetryInterval(Duration d) {
      this.authRetryInterval = Durations.positive(d, "authRetryInterval");
      return this;
    }

    /** Link: {@link LinkConfig.Builder#heartbeat}. */
    public Builder heartbeat(Duration online, Duration offlineMin, Duration offlineMax) {
      link.heartbeat(online, offlineMin, offlineMax);
      return this;
    }

    /** Link: {@link LinkConfig.Builder#heartbeatDegraded}. */
    public Builder heartbeatDegraded(Duration d) {
      link.heartbeatDegraded(d);
      return this;
    }

    /** Link: {@link LinkConfig.Builder#policy}. */
    public Builder linkPolicy(LinkStateMachine.Policy p) {
      link.policy(p);
      return this;
    }

    public Builder healthReportInterval(Duration d) {
      this.healthReportInterval = Durations.positive(d, "healthReportInterval");
      return this;
    }

    public Builder idlePoll(Duration d) {
      this.idlePoll = Durations.positive(d, "idlePoll");
      return this;
    }

    public SyncConfig build() {
      SyncConfig c = new SyncConfig(this);
      Duration request = c.transport.requestTimeout();
      if (c.leaseTimeout.compareTo(request) <= 0) {
        throw new IllegalArgumentException("leaseTimeout " + c.leaseTimeout + " must be longer than requestTimeout "
            + request + " (else a slow answer races a re-lease)");
      }
      return c;
    }
  }
}
