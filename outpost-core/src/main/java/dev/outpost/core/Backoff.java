package dev.outpost.core;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How long to wait before retry number {@code attempt} (1 for the first retry): a function, built
 * from named factories and decorators in the style of resilience4j's {@code IntervalFunction}.
 *
 * <pre>
 * Backoff b = Backoff.exponential(Duration.ofMillis(200), 2.0)   // 200, 400, 800, ...
 *     .capped(Duration.ofSeconds(30))                           // ... 30 s, 30 s
 *     .withFullJitter(random);                                  // uniform in [0, that]
 * </pre>
 *
 * <p>The cap is applied <em>before</em> the jitter (unlike resilience4j, which caps after): at the
 * cap, clients still spread uniformly over [0, cap] instead of all waiting exactly the cap and
 * retrying in lock-step. {@link #exponentialFullJitter} builds exactly that chain.
 *
 * <p>Implementations are immutable and thread-safe as long as the injected random source is.
 * Delays never overflow: exponential growth saturates at {@link #MAX_DELAY}.
 */
@FunctionalInterface
public interface Backoff {

  /** The largest delay any backoff returns (one day); growth saturates here. */
  Duration MAX_DELAY = Duration.ofDays(1);

  /**
   * The delay before retry {@code attempt}.
   *
   * @param attempt 1 for the first retry, 2 for the second, ...
   * @throws IllegalArgumentException if {@code attempt < 1}
   */
  Duration delay(int attempt);

  /** Always the same delay. */
  static Backoff constant(Duration delay) {
    requirePositive(delay, "delay");
    return attempt -> {
      checkAttempt(attempt);
      return delay;
    };
  }

  /** {@code initial * multiplier^(attempt-1)}, saturating at {@link #MAX_DELAY}. */
  static Backoff exponential(Duration initial, double multiplier) {
    requirePositive(initial, "initial");
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier must be a finite number >= 1, was " + multiplier);
    }
    long initialNanos = initial.toNanos();
    long maxNanos = MAX_DELAY.toNanos();
    return attempt -> {
      checkAttempt(attempt);
      double nanos = initialNanos * Math.pow(multiplier, attempt - 1.0);
      return Duration.ofNanos(nanos >= maxNanos ? maxNanos : (long) nanos);
    };
  }

  /** The recommended retry policy: exponential, capped, then full jitter over [0, capped]. */
  static Backoff exponentialFullJitter(
      Duration initial, double multiplier, Duration cap, RandomGenerator random) {
    return exponential(initial, multiplier).capped(cap).withFullJitter(random);
  }

  /** This backoff, never longer than {@code max}. */
  default Backoff capped(Duration max) {
    requirePositive(max, "max");
    Backoff base = this;
    return attempt -> {
      Duration d = base.delay(attempt);
      return d.compareTo(max) > 0 ? max : d;
    };
  }

  /**
   * "Full jitter": a delay drawn uniformly from [0, this backoff's delay]. Put it last in the
   * chain, after {@link #capped}.
   */
  default Backoff withFullJitter(RandomGenerator random) {
    Objects.requireNonNull(random, "random");
    Backoff base = this;
    return attempt -> {
      long nanos = base.delay(attempt).toNanos();
      return Duration.ofNanos(nanos <= 0 ? 0 : random.nextLong(nanos + 1));
    };
  }

  private static void checkAttempt(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt < 1: " + attempt);
    }
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " <= 0: " + d);
    }
  }
}
