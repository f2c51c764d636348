package dev.outpost.sim;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cycles one or more {@link FaultProxy}s through a bad day: calm periods ({@code PASS})
 * alternate with episodes drawn by weight — outages ({@code REFUSE} or {@code BLACKHOLE} for
 * seconds), reset and lost-answer windows, slow periods ({@code TRICKLE}) and 5xx/429 bursts.
 * The sequence of phases depends only on the seeded {@link Random}; time comes from the
 * injected {@link Clock} and {@link Scheduler}, so tests can drive it by hand.
 *
 * <p>Records what it applied ({@link #history()}) and the longest outage, measured on the clock
 * from the start of an outage phase to the first non-outage phase (or {@link #heal()}).
 *
 * <p>Thread-safe (one lock). {@link #heal()} stops the cycle and returns every proxy to PASS;
 * {@link #close()} also ends the schedule's own timer thread, if it made one. Nothing is kept
 * on disk.
 */
public final class ChaosSchedule implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChaosSchedule.class);

  /** Runs a task once after a delay; the injectable time source of the schedule. */
  @FunctionalInterface
  public interface Scheduler {
    /** Schedules {@code task}; the returned action cancels it if it has not run. */
    Runnable schedule(Duration delay, Runnable task);
  }

  /** One applied phase: the fault, when it started on the clock, and how long it was planned. */
  public record Phase(Fault fault, Instant start, Duration duration) {
    public boolean isOutage() {
      return ChaosSchedule.isOutage(fault);
    }
  }

  private final Random random;
  private final Clock clock;
  private final Scheduler scheduler;
  private final ScheduledExecutorService ownTimer; // null when a scheduler was injected
  private final Builder settings;
  private final Object lock = new Object();
  private final List<Phase> history = new ArrayList<>();
  private List<FaultProxy> proxies = List.of();
  private Runnable cancelNext = () -> { };
  private boolean running;
  private long generation; // bumped by start and heal, so a stale timer task does nothing
  private boolean calmNext;
  private Instant outageStart; // null when not in an outage
  private Duration longestOutage = Duration.ZERO;

  private ChaosSchedule(Builder b) {
    this.random = b.random;
    this.clock = b.clock;
    this.settings = b;
    if (b.scheduler != null) {
      this.scheduler = b.scheduler;
      this.ownTimer = null;
    } else {
      ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(
          1, Thread.ofVirtual().name("outpost-chaos-", 0).factory());
      timer.setRemoveOnCancelPolicy(true);
      this.ownTimer = timer;
      this.scheduler = (delay, task) -> {
        ScheduledFuture<?> f = timer.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        return () -> f.cancel(false);
      };
    }
  }

  public static Builder builder(Random random) {
    return new Builder(random);
  }

  /** Starts cycling the given proxies (all get the same fault) with a fault episode first. */
  public void start(List<FaultProxy> targets) {
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("no proxies to drive");
    }
    synchronized (lock) {
      if (running) {
        throw new IllegalStateException("chaos schedule already running");
      }
      proxies = List.copyOf(targets);
      running = true;
      generation++;
      calmNext = false;
      advance();
    }
  }

  public void start(FaultProxy proxy) {
    start(List.of(proxy));
  }

  /** Stops the cycle and returns every proxy to PASS; an ongoing outage ends now. */
  public void heal() {
    synchronized (lock) {
      if (!running) {
        return;
      }
      running = false;
      generation++;
      cancelNext.run();
      enter(Fault.pass(), Duration.ZERO);
      log.info("chaos healed after {} phases, longest outage {}", history.size(), longestOutage);
    }
  }

  /** Heals, then ends the schedule's own timer thread. */
  @Override
  public void close() {
    heal();
    if (ownTimer != null) {
      ownTimer.shutdownNow();
    }
  }

  /** The longest outage so far, including one still going on. */
  public Duration longestOutage() {
    synchronized (lock) {
      if (outageStart != null) {
        Duration current = Duration.between(outageStart, clock.instant());
        return current.compareTo(longestOutage) > 0 ? current : longestOutage;
      }
      return longestOutage;
    }
  }

  /** Every phase applied so far, oldest first (the final heal included). */
  public List<Phase> history() {
    synchronized (lock) {
      return List.copyOf(history);
    }
  }

  /** How many episodes of each fault kind were applied (calm phases count as PASS). */
  public Map<Fault.Kind, Integer> episodes() {
    Map<Fault.Kind, Integer> counts = new EnumMap<>(Fault.Kind.class);
    for (Phase p : history()) {
      counts.merge(p.fault().kind(), 1, Integer::sum);
    }
    return counts;
  }

  private void advance() { // holds lock
    if (!running) {
      return;
    }
    Fault fault;
    Duration duration;
    if (calmNext) {
      fault = Fault.pass();
      duration = settings.calm.draw(random);
    } else {
      Fault.Kind kind = settings.drawKind(random);
      fault = settings.faultOf(kind, random);
      duration = settings.rangeOf(kind).draw(random);
    }
    calmNext = !calmNext;
    enter(fault, duration);
    long mine = generation;
    cancelNext = scheduler.schedule(duration, () -> {
      synchronized (lock) {
        if (generation == mine) {
          advance();
        }
      }
    });
  }

  private void enter(Fault fault, Duration duration) { // holds lock
    Instant now = clock.instant();
    if (isOutage(fault)) {
      if (outageStart == null) {
        outageStart = now;
      }
    } else if (outageStart != null) {
      Duration outage = Duration.between(outageStart, now);
      if (outage.compareTo(longestOutage) > 0) {
        longestOutage = outage;
      }
      outageStart = null;
    }
    history.add(new Phase(fault, now, duration));
    if (running) {
      log.info("chaos: {} for {} ms", fault, duration.toMillis());
    }
    for (FaultProxy p : proxies) {
      try {
        p.setFault(fault);
      } catch (IllegalStateException e) {
        log.debug("proxy closed under the chaos schedule: {}", e.getMessage());
      }
    }
  }

  static boolean isOutage(Fault fault) {
    return fault.kind() == Fault.Kind.REFUSE || fault.kind() == Fault.Kind.BLACKHOLE;
  }

  /** A closed range of durations, drawn uniformly at millisecond resolution. */
  record Range(Duration min, Duration max) {
    Range {
      if (min.isNegative() || max.compareTo(min) < 0) {
        throw new IllegalArgumentException("need 0 <= min <= max, was " + min + ".." + max);
      }
    }

    Duration draw(Random random) {
      long span = max.toMillis() - min.toMillis();
      return min.plusMillis(span == 0 ? 0 : random.nextLong(span + 1));
    }
  }

  /** Settings; each setter validates and names the wrong value. Not thread-safe. */
  public static final class Builder {
    private final Random random;
    private Clock clock = Clock.systemUTC();
    private Scheduler scheduler;
    private Range calm = new Range(Duration.ofSeconds(2), Duration.ofSeconds(5));
    private Range outage = new Range(Duration.ofSeconds(3), Duration.ofSeconds(8));
    private Range slow = new Range(Duration.ofSeconds(2), Duration.ofSeconds(5));
    private Range burst = new Range(Duration.ofSeconds(1), Duration.ofSeconds(3));
    private Range blip = new Range(Duration.ofMillis(500), Duration.ofMillis(1500));
    private int trickleBytesPerSecond = 2048;
    private final EnumMap<Fault.Kind, Integer> weights = new EnumMap<>(Map.of(
        Fault.Kind.REFUSE, 2, Fault.Kind.BLACKHOLE, 1, Fault.Kind.RESET, 2,
        Fault.Kind.TRICKLE, 1, Fault.Kind.HTTP_STATUS, 2, Fault.Kind.LOSE_ANSWER, 2));

    private Builder(Random random) {
      this.random = Objects.requireNonNull(random, "random");
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The time source for phase ends; by default the schedule runs its own timer thread. */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** How long PASS lasts between two episodes. */
    public Builder calm(Duration min, Duration max) {
      this.calm = range("calm", min, max);
      return this;
    }

    /** How long a REFUSE or BLACKHOLE outage lasts. */
    public Builder outage(Duration min, Duration max) {
      this.outage = range("outage", min, max);
      return this;
    }

    /** How long a TRICKLE period lasts, and its rate. */
    public Builder slow(Duration min, Duration max, int bytesPerSecond) {
      if (bytesPerSecond < 1) {
        throw new IllegalArgumentException("slow bytesPerSecond must be >= 1, was " + bytesPerSecond);
      }
      this.slow = range("slow", min, max);
      this.trickleBytesPerSecond = bytesPerSecond;
      return this;
    }

    /** How long a burst of 500/503/429 answers lasts. */
    public Builder burst(Duration min, Duration max) {
      this.burst = range("burst", min, max);
      return this;
    }

    /** How long a RESET or LOSE_ANSWER window lasts. */
    public Builder blip(Duration min, Duration max) {
      this.blip = range("blip", min, max);
      return this;
    }

    /** Relative weight of an episode kind (0 turns it off); PASS is not an episode. */
    public Builder weight(Fault.Kind kind, int weight) {
      if (kind == Fault.Kind.PASS) {
        throw new IllegalArgumentException("PASS is the calm phase, it has no weight");
      }
      if (weight < 0) {
        throw new IllegalArgumentException("weight of " + kind + " must be >= 0, was " + weight);
      }
      weights.put(kind, weight);
      return this;
    }

    public ChaosSchedule build() {
      if (weights.values().stream().mapToInt(Integer::intValue).sum() == 0) {
        throw new IllegalArgumentException("every episode weight is 0: nothing to inject");
      }
      return new ChaosSchedule(this);
    }

    private static Range range(String what, Duration min, Duration max) {
      Objects.requireNonNull(min, what + " min");
      Objects.requireNonNull(max, what + " max");
      try {
        return new Range(min, max);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(what + ": " + e.getMessage());
      }
    }

    Fault.Kind drawKind(Random r) {
      int total = weights.values().stream().mapToInt(Integer::intValue).sum();
      int x = r.nextInt(total);
      for (Map.Entry<Fault.Kind, Integer> e : weights.entrySet()) {
        x -= e.getValue();
        if (x < 0) {
          return e.getKey();
        }
      }
      throw new AssertionError("weights changed");
    }

    Fault faultOf(Fault.Kind kind, Random r) {
      return switch (kind) {
        case REFUSE -> Fault.refuse();
        case BLACKHOLE -> Fault.blackhole();
        case RESET -> Fault.reset();
        case LOSE_ANSWER -> Fault.loseAnswer();
        case TRICKLE -> Fault.trickle(trickleBytesPerSecond);
        case HTTP_STATUS -> switch (r.nextInt(3)) {
          case 0 -> Fault.httpStatus(500);
          case 1 -> Fault.httpStatus(503, r.nextInt(3));
          default -> Fault.httpStatus(429, r.nextInt(3));
        };
        case PASS -> Fault.pass();
      };
    }

    Range rangeOf(Fault.Kind kind) {
      return switch (kind) {
        case REFUSE, BLACKHOLE -> outage;
        case TRICKLE -> slow;
        case HTTP_STATUS -> burst;
        case RESET, LOSE_ANSWER -> blip;
        case PASS -> calm;
      };
    }
  }
}
