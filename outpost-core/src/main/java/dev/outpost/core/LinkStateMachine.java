package dev.outpost.core;

import java.time.Duration;

/**
 * The link state logic, pure: feed it request outcomes and time (milliseconds of any monotonic
 * clock), read the {@link LinkState}. No threads, no clock of its own, so it is tested by feeding
 * numbers.
 *
 * <pre>
 *  ONLINE ⇄ DEGRADED          quality over the last {@code window} outcomes: failure share or
 *     │         │              average success latency over the thresholds → DEGRADED; back to
 *     └────┬────┘              ONLINE below half the share and 3/4 of the latency (hysteresis)
 *          ▼ {@code failuresToTransition} failures in a row
 *    TRANSITIONING ── any success ──▶ ONLINE / DEGRADED by that latency, window cleared
 *          │ still failing when {@code grace} has passed (checked on every event and tick)
 *          ▼
 *       OFFLINE ── any success (a heartbeat) ──▶ ONLINE / DEGRADED by that one latency, window cleared
 * </pre>
 *
 * <p>Not thread-safe: the owner (the edge's {@code LinkMonitor}) serialises calls.
 */
public final class LinkStateMachine {

  /**
   * Thresholds. Validated on construction; the message names the bad value.
   *
   * @param window how many recent outcomes judge the quality (>= 1)
   * @param degradedFailureShare share of failures in the window that makes the link DEGRADED
   * @param degradedLatency average success latency that makes the link DEGRADED
   * @param failuresToTransition failures in a row that start the grace window
   * @param grace how long failures may last before the link is OFFLINE
   */
  public record Policy(
      int window,
      double degradedFailureShare,
      Duration degradedLatency,
      int failuresToTransition,
      Duration grace) {
    public Policy {
      if (window < 1) {
        throw new IllegalArgumentException("window < 1: " + window);
      }
      if (!(degradedFailureShare > 0 && degradedFailureShare <= 1)) {
        throw new IllegalArgumentException(
            "degradedFailureShare must be in (0, 1], was " + degradedFailureShare);
      }
      if (degradedLatency == null || degradedLatency.isNegative() || degradedLatency.isZero()) {
        throw new IllegalArgumentException("degradedLatency must be > 0, was " + degradedLatency);
      }
      if (failuresToTransition < 1) {
        throw new IllegalArgumentException("failuresToTransition < 1: " + failuresToTransition);
      }
      if (grace == null || grace.isNegative()) {
        throw new IllegalArgumentException("grace must be >= 0, was " + grace);
      }
    }

    /** 20 outcomes, 30 % failures or 2 s latency for DEGRADED, 3 failures then 5 s grace. */
    public static Policy defaults() {
      return new Policy(20, 0.30, Duration.ofSeconds(2), 3, Duration.ofSeconds(5));
    }
  }

  /** Fewest outcomes in the window before the failure share can make the link DEGRADED. */
  private static final int MIN_SAMPLES_FOR_SHARE = 5;

  private final Policy policy;
  private final boolean[] failed;
  private final long[] latency;
  private int next;
  private int count;
  private LinkState state;
  private long sinceMillis;
  private int consecutiveFailures;

  public LinkStateMachine(Policy policy, LinkState initial, long nowMillis) {
    this.policy = java.util.Objects.requireNonNull(policy, "policy");
    this.state = java.util.Objects.requireNonNull(initial, "initial");
    this.failed = new boolean[policy.window()];
    this.latency = new long[policy.window()];
    this.sinceMillis = nowMillis;
  }

  public LinkState state() {
    return state;
  }

  /** When the current state began. */
  public long stateSinceMillis() {
    return sinceMillis;
  }

  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** When TRANSITIONING turns OFFLINE if nothing succeeds, or -1 in any other state. */
  public long graceEndsAtMillis() {
    return state == LinkState.TRANSITIONING ? sinceMillis + policy.grace().toMillis() : -1;
  }

  /**
   * A request or heartbeat got an answer after {@code latencyMillis}; a negative latency means
   * "answered, but the time says nothing about the link" (a large upload): it counts as a
   * success without a latency sample.
   */
  public LinkState onSuccess(long nowMillis, long latencyMillis) {
    consecutiveFailures = 0;
    if (state == LinkState.OFFLINE || state == LinkState.TRANSITIONING) {
      // an outage (or a blip) says nothing about the link's quality once it is back
      count = 0;
      next = 0;
    }
    record(false, latencyMillis < 0 ? -1 : latencyMillis);
    moveTo(judgeQuality(), nowMillis);
    return state;
  }

  /** A request or heartbeat got no usable answer (network error, timeout, 5xx, 429, 503). */
  public LinkState onFailure(long nowMillis) {
    consecutiveFailures++;
    record(true, 0);
    switch (state) {
      case ONLINE, DEGRADED -> {
        if (consecutiveFailures >= policy.failuresToTransition()) {
          moveTo(LinkState.TRANSITIONING, nowMillis);
        } else {
          moveTo(judgeQuality(), nowMillis);
        }
      }
      case TRANSITIONING, OFFLINE -> { }
    }
    return tick(nowMillis);
  }

  /** Lets time pass: a TRANSITIONING link whose grace has run out becomes OFFLINE. */
  public LinkState tick(long nowMillis) {
    if (state == LinkState.TRANSITIONING && nowMillis >= graceEndsAtMillis()) {
      moveTo(LinkState.OFFLINE, nowMillis);
    }
    return state;
  }

  /** Share of failures among the outcomes in the window (0 when empty). */
  public double failureShare() {
    if (count == 0) {
      return 0;
    }
    int failures = 0;
    for (int i = 0; i < count; i++) {
      if (failed[i]) {
        failures++;
      }
    }
    return (double) failures / count;
  }

  /** Average latency of the successes with a latency sample in the window, or 0 when none. */
  public long averageLatencyMillis() {
    long sum = 0;
    int n = 0;
    for (int i = 0; i < count; i++) {
      if (!failed[i] && latency[i] >= 0) {
        sum += latency[i];
        n++;
      }
    }
    return n == 0 ? 0 : sum / n;
  }

  private LinkState judgeQuality() {
    double share = count >= MIN_SAMPLES_FOR_SHARE ? failureShare() : 0;
    long avg = averageLatencyMillis();
    long limit = policy.degradedLatency().toMillis();
    boolean bad = share >= policy.degradedFailureShare() || avg >= limit;
    boolean good = share < policy.degradedFailureShare() / 2 && avg < limit * 3 / 4;
    if (bad) {
      return LinkState.DEGRADED;
    }
    if (good || state != LinkState.DEGRADED) {
      return LinkState.ONLINE;
    }
    return LinkState.DEGRADED;
  }

  private void record(boolean failure, long latencyMillis) {
    failed[next] = failure;
    latency[next] = latencyMillis;
    next = (next + 1) % failed.length;
    count = Math.min(count + 1, failed.length);
  }

  private void moveTo(LinkState to, long nowMillis) {
    if (to != state) {
      state = to;
      sinceMillis = nowMillis;
    }
  }
}
