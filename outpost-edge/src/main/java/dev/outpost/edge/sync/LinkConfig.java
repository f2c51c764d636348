package dev.outpost.edge.sync;

import dev.outpost.core.LinkStateMachine;
import java.time.Duration;
import java.util.Objects;

/**
 * How the {@link LinkMonitor} watches the link: heartbeat intervals per state and the state
 * machine's policy. Immutable; build with {@link #builder}, usually through
 * {@link SyncConfig#builder}.
 */
public final class LinkConfig {
  private final Duration heartbeatOnline;
  private final Duration heartbeatDegraded;
  private final Duration heartbeatOfflineMin;
  private final Duration heartbeatOfflineMax;
  private final LinkStateMachine.Policy policy;

  private LinkConfig(Builder b) {
    heartbeatOnline = b.heartbeatOnline;
    heartbeatDegraded = b.heartbeatDegraded;
    heartbeatOfflineMin = b.heartbeatOfflineMin;
    heartbeatOfflineMax = b.heartbeatOfflineMax;
    policy = b.policy;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static LinkConfig defaults() {
    return builder().build();
  }

  public Builder newBuilder() {
    return new Builder().heartbeat(heartbeatOnline, heartbeatOfflineMin, heartbeatOfflineMax)
        .heartbeatDegraded(heartbeatDegraded).policy(policy);
  }

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
  public LinkStateMachine.Policy policy() { return policy; }

  @Override
  public String toString() {
    return "heartbeat=" + heartbeatOnline + "/" + heartbeatDegraded + "/" + heartbeatOfflineMin + ".."
        + heartbeatOfflineMax + ", linkPolicy=" + policy;
  }

  public static final class Builder {
    private Duration heartbeatOnline = Duration.ofSeconds(10);
    private Duration heartbeatDegraded = Duration.ofSeconds(1);
    private Duration heartbeatOfflineMin = Duration.ofSeconds(1);
    private Duration heartbeatOfflineMax = Duration.ofSeconds(60);
    private LinkStateMachine.Policy policy = LinkStateMachine.Policy.defaults();

    private Builder() {}

    /** Heartbeats: every {@code online} while up; from {@code offlineMin} doubling to {@code offlineMax} while down. */
    public Builder heartbeat(Duration online, Duration offlineMin, Duration offlineMax) {
      Durations.positive(online, "heartbeat online");
      Durations.positive(offlineMin, "heartbeat offlineMin");
      Durations.positive(offlineMax, "heartbeat offlineMax");
      if (offlineMax.compareTo(offlineMin) < 0) {
        throw new IllegalArgumentException("heartbeat offlineMax " + offlineMax + " < offlineMin " + offlineMin);
      }
      this.heartbeatOnline = online;
      this.heartbeatOfflineMin = offlineMin;
      this.heartbeatOfflineMax = offlineMax;
      return this;
    }

    /** Heartbeat interval while the link is DEGRADED (default 1 s). */
    public Builder heartbeatDegraded(Duration d) {
      this.heartbeatDegraded = Durations.positive(d, "heartbeatDegraded");
      return this;
    }

    public Builder policy(LinkStateMachine.Policy p) {
      this.policy = Objects.requireNonNull(p, "linkPolicy");
      return this;
    }

    public LinkConfig build() {
      return new LinkConfig(this);
    }
  }
}
