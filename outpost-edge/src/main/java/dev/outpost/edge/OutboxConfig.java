package dev.outpost.edge;

import dev.outpost.core.Priority;
import dev.outpost.core.wire.RecordLimits;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * Immutable outbox settings. Build with {@link #builder()}, derive with {@link #newBuilder()}.
 * Setters validate and say which value was wrong; nothing is silently replaced by a default.
 */
public final class OutboxConfig {
  private final long budgetBytes;
  private final double highWatermark;
  private final double lowWatermark;
  private final boolean evictLowWhenFull;
  private final int maxPayloadBytes;
  private final Map<Priority, Duration> ttlByPriority;
  private final Duration ackedRetention;
  private final Duration groupCommitMaxWait;
  private final int groupCommitMaxRecords;
  private final Duration housekeepingInterval;
  private final Clock clock;

  private OutboxConfig(Builder b) {
    this.budgetBytes = b.budgetBytes;
    this.highWatermark = b.highWatermark;
    this.lowWatermark = b.lowWatermark;
    this.evictLowWhenFull = b.evictLowWhenFull;
    this.maxPayloadBytes = b.maxPayloadBytes;
    this.ttlByPriority = Map.copyOf(b.ttlByPriority);
    this.ackedRetention = b.ackedRetention;
    this.groupCommitMaxWait = b.groupCommitMaxWait;
    this.groupCommitMaxRecords = b.groupCommitMaxRecords;
    this.housekeepingInterval = b.housekeepingInterval;
    this.clock = b.clock;
  }

  public static OutboxConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder newBuilder() {
    Builder b = new Builder();
    b.budgetBytes = budgetBytes;
    b.highWatermark = highWatermark;
    b.lowWatermark = lowWatermark;
    b.evictLowWhenFull = evictLowWhenFull;
    b.maxPayloadBytes = maxPayloadBytes;
    b.ttlByPriority.putAll(ttlByPriority);
    b.ackedRetention = ackedRetention;
    b.groupCommitMaxWait = groupCommitMaxWait;
    b.groupCommitMaxRecords = groupCommitMaxRecords;
    b.housekeepingInterval = housekeepingInterval;
    b.clock = clock;
    return b;
  }

  /** Bytes the store may use on disk (records, indexes, dead letters). Default 500 MiB. */
  public long budgetBytes() {
    return budgetBytes;
  }

  /** Share of the budget at which LOW eviction starts (when enabled). Default 0.90. */
  public double highWatermark() {
    return highWatermark;
  }

  /** Share of the budget LOW eviction frees down to. Default 0.80. */
  public double lowWatermark() {
    return lowWatermark;
  }

  /** Whether a full store may evict the oldest LOW records to make room. Default true. */
  public boolean evictLowWhenFull() {
    return evictLowWhenFull;
  }

  /** Largest payload accepted. Default 1 MiB. */
  public int maxPayloadBytes() {
    return maxPayloadBytes;
  }

  /** Default time-to-live for a priority, or null when its records never expire. */
  public Duration ttl(Priority priority) {
    return ttlByPriority.get(priority);
  }

  /** How long acked records are kept before deletion. Default zero (deleted at ack). */
  public Duration ackedRetention() {
    return ackedRetention;
  }

  /** Longest a durable append waits for others to share its commit. Default 2 ms. */
  public Duration groupCommitMaxWait() {
    return groupCommitMaxWait;
  }

  /** Most records one group commit takes. Default 8192. */
  public int groupCommitMaxRecords() {
    return groupCommitMaxRecords;
  }

  /** How often expiry, lease timeouts and space reclaim run. Default 5 s. */
  public Duration housekeepingInterval() {
    return housekeepingInterval;
  }

  /** Wall clock for append times, TTL, lease timeouts and retention. Default the system UTC clock. */
  public Clock clock() {
    return clock;
  }

  @Override
  public String toString() {
    return "OutboxConfig{budgetBytes=" + budgetBytes + ", highWatermark=" + highWatermark
        + ", lowWatermark=" + lowWatermark + ", evictLowWhenFull=" + evictLowWhenFull
        + ", maxPayloadBytes=" + maxPayloadBytes + ", ttlByPriority=" + ttlByPriority
        + ", ackedRetention=" + ackedRetention + ", groupCommitMaxWait=" + groupCommitMaxWait
        + ", groupCommitMaxRecords=" + groupCommitMaxRecords
        + ", housekeepingInterval=" + housekeepingInterval + ", clock=" + clock + "}";
  }

  public static final class Builder {
    private long budgetBytes = 500L << 20;
    private double highWatermark = 0.90;
    private double lowWatermark = 0.80;
    private boolean evictLowWhenFull = true;
    private int maxPayloadBytes = RecordLimits.DEFAULT.maxPayloadBytes();
    private final Map<Priority, Duration> ttlByPriority = new EnumMap<>(Priority.class);
    private Duration ackedRetention = Duration.ZERO;
    private Duration groupCommitMaxWait = Duration.ofMillis(2);
    private int groupCommitMaxRecords = 8192;
    private Duration housekeepingInterval = Duration.ofSeconds(5);
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    public Builder budgetBytes(long bytes) {
      if (bytes < (1L << 20)) {
        throw new IllegalArgumentException("budgetBytes < 1 MiB: " + bytes);
      }
      this.budgetBytes = bytes;
      return this;
    }

    public Builder watermarks(double low, double high) {
      if (!(low > 0 && low < high && high <= 1.0)) {
        throw new IllegalArgumentException(
            "watermarks must satisfy 0 < low < high <= 1, were low=" + low + " high=" + high);
      }
      this.lowWatermark = low;
      this.highWatermark = high;
      return this;
    }

    public Builder evictLowWhenFull(boolean evict) {
      this.evictLowWhenFull = evict;
      return this;
    }

    public Builder maxPayloadBytes(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxPayloadBytes < 1: " + bytes);
      }
      this.maxPayloadBytes = bytes;
      return this;
    }

    /** Sets the default TTL for a priority; null removes it (never expires). */
    public Builder ttl(Priority priority, Duration ttl) {
      Objects.requireNonNull(priority, "priority");
      if (ttl == null) {
        ttlByPriority.remove(priority);
      } else if (ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException("ttl for " + priority + " <= 0: " + ttl);
      } else {
        ttlByPriority.put(priority, ttl);
      }
      return this;
    }

    public Builder ackedRetention(Duration retention) {
      Objects.requireNonNull(retention, "ackedRetention");
      if (retention.isNegative()) {
        throw new IllegalArgumentException("ackedRetention < 0: " + retention);
      }
      this.ackedRetention = retention;
      return this;
    }

    public Builder groupCommitMaxWait(Duration wait) {
      Objects.requireNonNull(wait, "groupCommitMaxWait");
      if (wait.isNegative() || wait.compareTo(Duration.ofMillis(50)) > 0) {
        throw new IllegalArgumentException("groupCommitMaxWait must be within 0..50 ms: " + wait);
      }
      this.groupCommitMaxWait = wait;
      return this;
    }

    public Builder groupCommitMaxRecords(int records) {
      if (records < 1) {
        throw new IllegalArgumentException("groupCommitMaxRecords < 1: " + records);
      }
      this.groupCommitMaxRecords = records;
      return this;
    }

    public Builder housekeepingInterval(Duration interval) {
      Objects.requireNonNull(interval, "housekeepingInterval");
      if (interval.compareTo(Duration.ofMillis(10)) < 0) {
        throw new IllegalArgumentException("housekeepingInterval < 10 ms: " + interval);
      }
      this.housekeepingInterval = interval;
      return this;
    }

    /** The clock the store reads (tests pass a controllable one). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public OutboxConfig build() {
      return new OutboxConfig(this);
    }
  }
}
