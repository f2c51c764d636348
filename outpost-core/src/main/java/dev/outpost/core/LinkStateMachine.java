package dev.outpost.core;

import java.time.Duration;

/**
 * The link state logic, pure: feed it request outcomes and time (milliseconds of any monotonic
 * clock), read the {@link LinkState}. No threads, no clock of its own, so it is tested by feeding
 * numbers.
 *
 * <pre>
 *  ONLINE ⇄ DEGRADED          quality over the last {@code window} outcomes no older than
 *     │         │              {@code maxSampleAge}: failure share or average success latency
 *     │         │              over the thresholds → DEGRADED; back to ONLINE below half the
 *     │         │              share and 3/4 of the latency (hysteresis), or after
 *     │         │              {@code healthyToRecover} healthy samples in a row (answers under
 *     │         │              3/4 of the latency, no failure between); the window then keeps
 *     │         │              only that healthy run. Falling back to DEGRADED within a window
 *     └────┬────┘              of such a recovery doubles the run needed next time (no flapping)
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
   * @param maxSampleAge outcomes older than this leave the window, whatever its count (> 0)
   * @param healthyToRecover healthy latency samples in a row that bring a DEGRADED link back to
   *     ONLINE (>= 1)
   */
  public record Policy(
      int window,
      double degradedFailureShare,
      Duration degradedLatency,
      int failuresToTransition,
      Duration grace,
      Duration maxSampleAge,
      int healthyToRecover) {
    /** Default sample age ({@code 30 s}) and healthy run ({@code 3}). */
    public static final Duration DEFAULT_MAX_SAMPLE_AGE = Duration.ofSeconds(30);
    public static final int DEFAULT_HEALTHY_TO_RECOVER = 3;

    /** With the default sample age and healthy run. */
    public Policy(int window, double degradedFailureShare, Duration degradedLatency,
        int failuresToTransition, Duration grace) {
      this(window, degradedFailureShare, degradedLatency, failuresToTransition, grace,
          DEFAULT_MAX_SAMPLE_AGE, DEFAULT_HEALTHY_TO_RECOVER);
    }

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
      if (maxSampleAge == null || maxSampleAge.isNegative() || maxSampleAge.isZero()) {
        throw new IllegalArgumentException("maxSampleAge must be > 0, was " + maxSampleAge);
      }
      if (healthyToRecover < 1) {
        throw new IllegalArgumentException("healthyToRecover < 1: " + healthyToRecover);
      }
    }

    /**
     * 20 outcomes of at most 30 s, 30 % failures or 2 s latency for DEGRADED, 3 healthy samples
     * in a row back to ONLINE, 3 failures then 5 s grace.
     */
    public static Policy defaults() {
      return new Policy(20, 0.30, Duration.ofSeconds(2), 3, Duration.ofSeconds(5));
    }

    /** This policy with another sample age and healthy run. */
    public Policy withRecovery(Duration maxSampleAge, int healthyToRecover) {
      return new Policy(window, degradedFailureShare, degradedLatency, failuresToTransition, grace,
          maxSampleAge, healthyToRecover);
    }
  }

  /** Fewest outcomes in the window before the failure share can make the link DEGRADED. */
  private static final int MIN_SAMPLES_FOR_SHARE = 5;

  private final Policy policy;
  private final boolean[] failed;
  private final long[] latency;
  private final long[] at;
  private int next;
  private int count;
  private LinkState state;
  private long sinceMillis;
  private int consecutiveFailures;
  /** Outcomes recorded since the last unhealthy one (a failure or a slow sample). */
  private int sinceUnhealthy;
  /** Healthy samples in a row (successes without a sample neither count nor break the run). */
  private int healthyRun;
  /** The run a DEGRADED link needs now: doubles when a recovery did not hold. */
  private int runNeeded;
  /** Outcomes recorded since the last recovery by a healthy run (or "long ago"). */
  private int sinceRecovery = Integer.MAX_VALUE;

  public LinkStateMachine(Policy policy, LinkState initial, long nowMillis) {
    this.policy = java.util.Objects.requireNonNull(policy, "policy");
    this.state = java.util.Objects.requireNonNull(initial, "initial");
    this.failed = new boolean[policy.window()];
    this.latency = new long[policy.window()];
    this.at = new long[policy.window()];
    this.sinceMillis = nowMillis;
    this.runNeeded = policy.healthyToRecover();
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
      healthyRun = 0;
    }
    long limit = policy.degradedLatency().toMillis();
    if (latencyMillis >= 0 && latencyMillis < limit * 3 / 4) {
      healthyRun++;
    } else if (latencyMillis >= 0) {
      healthyRun = 0;
      sinceUnhealthy = -1; // this outcome is the unhealthy one; record() counts it
    }
    record(false, latencyMillis < 0 ? -1 : latencyMillis, nowMillis);
    LinkState judged = judgeQuality();
    if (state == LinkState.DEGRADED && judged == LinkState.DEGRADED && healthyRun >= runNeeded) {
      // fresh evidence beats the window: keep only the healthy run
      count = Math.min(count, sinceUnhealthy);
      sinceRecovery = 0;
      judged = judgeQuality();
    }
    moveTo(judged, nowMillis);
    return state;
  }

  /** A request or heartbeat got no usable answer (network error, timeout, 5xx, 429, 503). */
  public LinkState onFailure(long nowMillis) {
    consecutiveFailures++;
    healthyRun = 0;
    sinceUnhealthy = -1;
    record(true, 0, nowMillis);
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

  /** Healthy samples a DEGRADED link needs in a row now to be ONLINE again. */
  public int healthyRunNeeded() {
    return runNeeded;
  }

  /** Share of failures among the outcomes in the window (0 when empty). */
  public double failureShare() {
    if (count == 0) {
      return 0;
    }
    int failures = 0;
    for (int k = 0; k < count; k++) {
      if (failed[slot(k)]) {
        failures++;
      }
    }
    return (double) failures / count;
  }

  /** Average latency of the successes with a latency sample in the window, or 0 when none. */
  public long averageLatencyMillis() {
    long sum = 0;
    int n = 0;
    for (int k = 0; k < count; k++) {
      int i = slot(k);
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

  /** The k-th newest outcome's slot (k = 0 is the newest). */
  private int slot(int k) {
    return Math.floorMod(next - 1 - k, failed.length);
  }

  private void record(boolean failure, long latencyMillis, long nowMillis) {
    failed[next] = failure;
    latency[next] = latencyMillis;
    at[next] = nowMillis;
    next = (next + 1) % failed.length;
    count = Math.min(count + 1, failed.length);
    sinceUnhealthy = sinceUnhealthy == Integer.MAX_VALUE ? sinceUnhealthy : sinceUnhealthy + 1;
    sinceRecovery = sinceRecovery == Integer.MAX_VALUE ? sinceRecovery : sinceRecovery + 1;
    // outcomes age out by time as well as by count: the oldest go first
    long oldest = nowMillis - policy.maxSampleAge().toMillis();
    while (count > 1 && at[slot(count - 1)] < oldest) {
      count--;
    }
  }

  private void moveTo(LinkState to, long nowMillis) {
    if (to == state) {
      return;
    }
    if (to == LinkState.DEGRADED && state == LinkState.ONLINE) {
      // a recovery by a healthy run that did not last a window asks for a longer run next time
      runNeeded = sinceRecovery < policy.window()
          ? Math.min(runNeeded * 2, policy.window())
          : policy.healthyToRecover();
    }
    state = to;
    sinceMillis = nowMillis;
  }
}
