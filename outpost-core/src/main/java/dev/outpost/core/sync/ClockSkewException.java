package dev.outpost.core.sync;

import java.time.Duration;

/**
 * A timestamp from another node is further ahead of this node's clock than the allowed skew: it
 * is refused, never adopted, so a device whose clock says 2040 cannot win every last-writer-wins
 * for years. Names both times and the limit.
 */
public final class ClockSkewException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final Hlc remote;
  private final long localMillis;
  private final Duration maxSkew;

  ClockSkewException(Hlc remote, long localMillis, Duration maxSkew) {
    super("timestamp " + remote + " from " + remote.node() + " is " + Duration.ofMillis(remote.wallMillis() - localMillis)
        + " ahead of this clock (" + localMillis + "), more than the allowed skew of " + maxSkew
        + "; fix the clock of " + remote.node() + " (NTP) or raise the max clock skew");
    this.remote = remote;
    this.localMillis = localMillis;
    this.maxSkew = maxSkew;
  }

  public Hlc remote() {
    return remote;
  }

  public long localMillis() {
    return localMillis;
  }

  public Duration maxSkew() {
    return maxSkew;
  }
}
