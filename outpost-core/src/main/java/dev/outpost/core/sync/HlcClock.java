package dev.outpost.core.sync;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * One node's hybrid logical clock: {@link #now()} for a local event, {@link #receive} for a
 * timestamp from another node. Timestamps it issues only grow, even when the physical clock steps
 * back. A remote timestamp more than {@code maxSkew} ahead of the physical clock is refused with
 * a {@link ClockSkewException} and leaves the clock as it was. Thread-safe; time is injected.
 */
public final class HlcClock {
  /** The default allowed skew: a fleet's clocks are rarely this far apart once NTP ran. */
  public static final Duration DEFAULT_MAX_SKEW = Duration.ofSeconds(60);

  private final String node;
  private final Clock clock;
  private final Duration maxSkew;
  private long wall;
  private int logical;

  public HlcClock(String node, Clock clock, Duration maxSkew) {
    this.node = Hlc.checkNode(node);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxSkew = Objects.requireNonNull(maxSkew, "maxSkew");
    if (maxSkew.isNegative()) {
      throw new IllegalArgumentException("maxSkew < 0: " + maxSkew);
    }
  }

  public String node() {
    return node;
  }

  public Duration maxSkew() {
    return maxSkew;
  }

  /** A timestamp for a local event, after every one this clock issued or received. */
  public synchronized Hlc now() {
    long physical = clock.millis();
    if (physical > wall) {
      wall = physical;
      logical = 0;
    } else {
      bump();
    }
    return new Hlc(wall, logical, node);
  }

  /**
   * Takes a timestamp from another node into account: the next {@link #now()} is after it.
   * Returns a timestamp for the receive event.
   *
   * @throws ClockSkewException if {@code remote} is more than the max skew ahead of this clock
   */
  public synchronized Hlc receive(Hlc remote) {
    long physical = clock.millis();
    check(remote, physical);
    return advance(remote, physical);
  }

  /**
   * Like {@link #receive} but adopted whatever the skew: for times from a source that checked them
   * against its own clock already (the server's merged state, on a device). A device whose wall
   * clock is far behind (a reset real-time clock) must still stamp its next write after what its
   * copy holds, or last-writer-wins would throw that write away.
   */
  public synchronized Hlc receiveChecked(Hlc remote) {
    return advance(remote, clock.millis());
  }

  private Hlc advance(Hlc remote, long physical) {
    long w = Math.max(physical, Math.max(wall, remote.wallMillis()));
    if (w == wall && w == remote.wallMillis()) {
      logical = Math.max(logical, remote.logical());
      bumpFrom(w);
    } else if (w == wall) {
      bumpFrom(w);
    } else if (w == remote.wallMillis()) {
      wall = w;
      logical = remote.logical();
      bump();
    } else {
      wall = w;
      logical = 0;
    }
    return new Hlc(wall, logical, node);
  }

  /** The latest timestamp this clock issued or received, as this node's (nothing advances). */
  public synchronized Hlc last() {
    return new Hlc(wall, logical, node);
  }

  /**
   * Resumes after the last timestamp this node issued before a restart (stored with its writes):
   * adopted whatever the skew, because a node must never stamp below its own history, even when
   * its wall clock stepped back while it was off.
   */
  public synchronized void resumeAfter(Hlc own) {
    if (!own.node().equals(node)) {
      throw new IllegalArgumentException("resumeAfter takes this node's own timestamp, not " + own);
    }
    if (own.wallMillis() > wall || (own.wallMillis() == wall && own.logical() > logical)) {
      wall = own.wallMillis();
      logical = own.logical();
    }
  }

  /** Throws {@link ClockSkewException} if {@code remote} is too far ahead; changes nothing. */
  public void check(Hlc remote) {
    check(remote, clock.millis());
  }

  private void check(Hlc remote, long physical) {
    if (remote.wallMillis() - physical > maxSkew.toMillis()) {
      throw new ClockSkewException(remote, physical, maxSkew);
    }
  }

  private void bumpFrom(long w) {
    wall = w;
    bump();
  }

  private void bump() {
    if (logical == Integer.MAX_VALUE) {
      // 2^31 events in one millisecond would need the physical clock to stand still for ages
      wall++;
      logical = 0;
    } else {
      logical++;
    }
  }
}
