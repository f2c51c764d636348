package dev.outpost.edge.sync;

import dev.outpost.core.LinkStateMachine;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.edge.Outbox;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Immutable sync engine settings. Build with {@link #builder(URI, String, String)}, derive with
 * {@link #newBuilder()}. Setters validate and name the wrong value; nothing is silently replaced.
 *
 * <p>Batching: a batch is sent as soon as {@code maxBatchRecords} records or
 * {@code maxBatchBytes} payload bytes are pending, or the oldest pending record has waited
 * {@code linger}, or a CRITICAL record is pending. Defaults favour throughput on a good link
 * (10,000 records, 4 MiB, 100 ms, binary + zstd, 4 batches in flight).
 */
public final class SyncConfig {
  private final URI server;
  private final String deviceId;
  private final String deviceToken;
  private final int maxBatchRecords;
  private final long maxBatchBytes;
  private final Duration linger;
  private final int maxInFlight;
  private final int degradedBatchRecords;
  private final int batchGrowAfter;
  private final String contentType;
  private final ContentEncoding contentEncoding;
  private final Duration connectTimeout;
  private final Duration requestTimeout;
  private final Duration leaseTimeout;
  private final Duration retryInitial;
  private final Duration retryCap;
  private final Duration authRetryInterval;
  private final Duration heartbeatOnline;
  private final Duration heartbeatDegraded;
  private final Duration heartbeatOfflineMin;
  private final Duration heartbeatOfflineMax;
  private final Duration healthReportInterval;
  private final Duration idlePoll;
  private final LinkStateMachine.Policy linkPolicy;

  private SyncConfig(Builder b) {
    server = b.server;
    deviceId = b.deviceId;
    deviceToken = b.deviceToken;
    maxBatchRecords = b.maxBatchRecords;
    maxBatchBytes = b.maxBatchBytes;
    linger = b.linger;
    maxInFlight = b.maxInFlight;
    degradedBatchRecords = b.degradedBatchRecords;
    batchGrowAfter = b.batchGrowAfter;
    contentType = b.contentType;
    contentEncoding = b.contentEncoding;
    connectTimeout = b.connectTimeout;
    requestTimeout = b.requestTimeout;
    leaseTimeout = b.leaseTimeout;
    retryInitial = b.retryInitial;
    retryCap = b.retryCap;
    authRetryInterval = b.authRetryInterval;
    heartbeatOnline = b.heartbeatOnline;
    heartbeatDegraded = b.heartbeatDegraded;
    heartbeatOfflineMin = b.heartbeatOfflineMin;
    heartbeatOfflineMax = b.heartbeatOfflineMax;
    healthReportInterval = b.healthReportInterval;
    idlePoll = b.idlePoll;
    linkPolicy = b.linkPolicy;
  }

  /**
   * @param server the server's base URI, e.g. {@code http://10.0.0.5:8080}
   * @param deviceId this device's id as registered on the server
   * @param deviceToken the device's bearer token
   */
  public static Builder builder(URI server, String deviceId, String deviceToken) {
    return new Builder(server, deviceId, deviceToken);
  }

  public Builder newBuilder() {
    Builder b = new Builder(server, deviceId, deviceToken);
    b.maxBatchRecords = maxBatchRecords;
    b.maxBatchBytes = maxBatchBytes;
    b.linger = linger;
    b.maxInFlight = maxInFlight;
    b.degradedBatchRecords = degradedBatchRecords;
    b.batchGrowAfter = batchGrowAfter;
    b.contentType = contentType;
    b.contentEncoding = contentEncoding;
    b.connectTimeout = connectTimeout;
    b.requestTimeout = requestTimeout;
    b.leaseTimeout = leaseTimeout;
    b.retryInitial = retryInitial;
    b.retryCap = retryCap;
    b.authRetryInterval = authRetryInterval;
    b.heartbeatOnline = heartbeatOnline;
    b.heartbeatDegraded = heartbeatDegraded;
    b.heartbeatOfflineMin = heartbeatOfflineMin;
    b.heartbeatOfflineMax = heartbeatOfflineMax;
    b.healthReportInterval = healthReportInterval;
    b.idlePoll = idlePoll;
    b.linkPolicy = linkPolicy;
    return b;
  }

  public URI server() { return server; }
  public String deviceId() { return deviceId; }
  public String deviceToken() { return deviceToken; }
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
  /** {@link WireCodec#BINARY} (default) or {@link WireCodec#JSON}. */
  public String contentType() { return contentType; }
  /** Default zstd. */
  public ContentEncoding contentEncoding() { return contentEncoding; }
  /** Default 5 s. */
  public Duration connectTimeout() { return connectTimeout; }
  /** A request without a full answer after this is a TIMEOUT. Default 30 s. */
  public Duration requestTimeout() { return requestTimeout; }
  /** Outbox lease timeout; longer than the request timeout. Default 2 min. */
  public Duration leaseTimeout() { return leaseTimeout; }
  /** First retry delay (before jitter). Default 200 ms. */
  public Duration retryInitial() { return retryInitial; }
  /** Retry delays double up to this, then full jitter over [0, delay]. Default 30 s. */
  public Duration retryCap() { return retryCap; }
  /** While paused by 401/403/415, one try per this interval. Default 60 s. */
  public Duration authRetryInterval() { return authRetryInterval; }
  /** Heartbeat interval while the link is up and idle. Default 10 s. */
  public Duration heartbeatOnline() { return heartbeatOnline; }
  /**
   * Heartbeat interval while the link is DEGRADED: a DEGRADED link sends only CRITICAL and HIGH,
   * so with nothing urgent pending these probes are what bring it back. Default 1 s.
   */
  public Duration heartbeatDegraded() { return heartbeatDegraded; }
  /** First heartbeat interval once the link is down; doubles up to the max. Default 1 s. */
  public Duration heartbeatOfflineMin() { return heartbeatOfflineMin; }
  /** Default 60 s. */
  public Duration heartbeatOfflineMax() { return heartbeatOfflineMax; }
  /** How often the connection health goes to the server ({@code PUT /v1/health}). Default 30 s. */
  public Duration healthReportInterval() { return healthReportInterval; }
  /** How often an idle engine looks for new records (also woken by {@code wake()}). Default 50 ms. */
  public Duration idlePoll() { return idlePoll; }
  public LinkStateMachine.Policy linkPolicy() { return linkPolicy; }

  @Override
  public String toString() {
    return "SyncConfig{server=" + server + ", deviceId=" + deviceId + ", maxBatchRecords="
        + maxBatchRecords + ", maxBatchBytes=" + maxBatchBytes + ", linger=" + linger
        + ", maxInFlight=" + maxInFlight + ", batchGrowAfter=" + batchGrowAfter
        + ", heartbeat=" + heartbeatOnline + "/" + heartbeatDegraded + "/" + heartbeatOfflineMin + ".."
        + heartbeatOfflineMax + ", linkPolicy=" + linkPolicy + ", contentType=" + contentType + ", contentEncoding="
        + contentEncoding + ", requestTimeout=" + requestTimeout + ", retryCap=" + retryCap + "}";
  }

  public static final class Builder {
    private final URI server;
    private final String deviceId;
    private final String deviceToken;
    private int maxBatchRecords = 10_000;
    private long maxBatchBytes = 4L << 20;
    private Duration linger = Duration.ofMillis(100);
    private int maxInFlight = 4;
    private int degradedBatchRecords = 50;
    private int batchGrowAfter = 8;
    private String contentType = WireCodec.BINARY;
    private ContentEncoding contentEncoding = ContentEncoding.ZSTD;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Duration leaseTimeout = Duration.ofMinutes(2);
    private Duration retryInitial = Duration.ofMillis(200);
    private Duration retryCap = Duration.ofSeconds(30);
    private Duration authRetryInterval = Duration.ofSeconds(60);
    private Duration heartbeatOnline = Duration.ofSeconds(10);
    private Duration heartbeatDegraded = Duration.ofSeconds(1);
    private Duration heartbeatOfflineMin = Duration.ofSeconds(1);
    private Duration heartbeatOfflineMax = Duration.ofSeconds(60);
    private Duration healthReportInterval = Duration.ofSeconds(30);
    private Duration idlePoll = Duration.ofMillis(50);
    private LinkStateMachine.Policy linkPolicy = LinkStateMachine.Policy.defaults();

    private Builder(URI server, String deviceId, String deviceToken) {
      Objects.requireNonNull(server, "server");
      String scheme = server.getScheme();
      if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
        throw new IllegalArgumentException("server must be an http:// or https:// URI, was " + server);
      }
      if (deviceId == null || deviceId.isBlank()) {
        throw new IllegalArgumentException("deviceId is missing");
      }
      if (deviceToken == null || deviceToken.isBlank()) {
        throw new IllegalArgumentException("deviceToken is missing");
      }
      this.server = server;
      this.deviceId = deviceId;
      this.deviceToken = deviceToken;
    }

    public Builder maxBatchRecords(int n) {
      this.maxBatchRecords = atLeast(n, 1, "maxBatchRecords");
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
      this.linger = nonNegative(d, "linger");
      return this;
    }

    public Builder maxInFlight(int n) {
      this.maxInFlight = atLeast(n, 1, "maxInFlight");
      return this;
    }

    public Builder degradedBatchRecords(int n) {
      this.degradedBatchRecords = atLeast(n, 1, "degradedBatchRecords");
      return this;
    }

    public Builder batchGrowAfter(int successes) {
      this.batchGrowAfter = atLeast(successes, 1, "batchGrowAfter");
      return this;
    }

    public Builder contentType(String type) {
      if (!WireCodec.BINARY.equals(type) && !WireCodec.JSON.equals(type)) {
        throw new IllegalArgumentException(
            "contentType must be " + WireCodec.BINARY + " or " + WireCodec.JSON + ", was " + type);
      }
      this.contentType = type;
      return this;
    }

    public Builder contentEncoding(ContentEncoding e) {
      this.contentEncoding = Objects.requireNonNull(e, "contentEncoding");
      return this;
    }

    public Builder connectTimeout(Duration d) {
      this.connectTimeout = positive(d, "connectTimeout");
      return this;
    }

    public Builder requestTimeout(Duration d) {
      this.requestTimeout = positive(d, "requestTimeout");
      return this;
    }

    public Builder leaseTimeout(Duration d) {
      this.leaseTimeout = positive(d, "leaseTimeout");
      return this;
    }

    /** Retry delays: {@code initial} doubling up to {@code cap}, then full jitter. */
    public Builder retry(Duration initial, Duration cap) {
      positive(initial, "retry initial");
      positive(cap, "retry cap");
      if (cap.compareTo(initial) < 0) {
        throw new IllegalArgumentException("retry cap " + cap + " < initial " + initial);
      }
      this.retryInitial = initial;
      this.retryCap = cap;
      return this;
    }

    public Builder authRetryInterval(Duration d) {
      this.authRetryInterval = positive(d, "authRetryInterval");
      return this;
    }

    /** Heartbeats: every {@code online} while up; from {@code offlineMin} doubling to {@code offlineMax} while down. */
    public Builder heartbeat(Duration online, Duration offlineMin, Duration offlineMax) {
      positive(online, "heartbeat online");
      positive(offlineMin, "heartbeat offlineMin");
      positive(offlineMax, "heartbeat offlineMax");
      if (offlineMax.compareTo(offlineMin) < 0) {
        throw new IllegalArgumentException(
            "heartbeat offlineMax " + offlineMax + " < offlineMin " + offlineMin);
      }
      this.heartbeatOnline = online;
      this.heartbeatOfflineMin = offlineMin;
      this.heartbeatOfflineMax = offlineMax;
      return this;
    }

    /** Heartbeat interval while the link is DEGRADED (default 1 s). */
    public Builder heartbeatDegraded(Duration d) {
      this.heartbeatDegraded = positive(d, "heartbeatDegraded");
      return this;
    }

    public Builder healthReportInterval(Duration d) {
      this.healthReportInterval = positive(d, "healthReportInterval");
      return this;
    }

    public Builder idlePoll(Duration d) {
      this.idlePoll = positive(d, "idlePoll");
      return this;
    }

    public Builder linkPolicy(LinkStateMachine.Policy p) {
      this.linkPolicy = Objects.requireNonNull(p, "linkPolicy");
      return this;
    }

    public SyncConfig build() {
      if (leaseTimeout.compareTo(requestTimeout) <= 0) {
        throw new IllegalArgumentException(
            "leaseTimeout " + leaseTimeout + " must be longer than requestTimeout " + requestTimeout
                + " (else a slow answer races a re-lease)");
      }
      return new SyncConfig(this);
    }

    private static int atLeast(int n, int min, String name) {
      if (n < min) {
        throw new IllegalArgumentException(name + " < " + min + ": " + n);
      }
      return n;
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " <= 0: " + d);
      }
      return d;
    }

    private static Duration nonNegative(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative()) {
        throw new IllegalArgumentException(name + " < 0: " + d);
      }
      return d;
    }
  }
}
