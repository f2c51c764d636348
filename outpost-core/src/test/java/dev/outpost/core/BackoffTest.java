package dev.outpost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void exponentialGrowsByTheMultiplier() {
    Backoff b = Backoff.exponential(Duration.ofMillis(100), 2.0);
    assertThat(b.delay(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(b.delay(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(b.delay(5)).isEqualTo(Duration.ofMillis(1600));
  }

  @Test
  void exponentialSaturatesInsteadOfOverflowing() {
    Backoff b = Backoff.exponential(Duration.ofMillis(100), 10.0);
    assertThat(b.delay(Integer.MAX_VALUE)).isEqualTo(Backoff.MAX_DELAY);
  }

  @Test
  void cappedNeverExceedsTheCap() {
    Backoff b = Backoff.exponential(Duration.ofMillis(100), 2.0).capped(Duration.ofSeconds(1));
    assertThat(b.delay(4)).isEqualTo(Duration.ofMillis(800));
    assertThat(b.delay(5)).isEqualTo(Duration.ofSeconds(1));
    assertThat(b.delay(60)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void fullJitterSpreadsOverZeroToTheCappedDelayEvenAtTheCap() {
    // cap before jitter: at attempt 50 the delays still spread over [0, cap], not all == cap
    Backoff b =
        Backoff.exponentialFullJitter(
            Duration.ofMillis(100), 2.0, Duration.ofSeconds(10), new SplittableRandom(42));
    long min = Long.MAX_VALUE;
    long max = 0;
    long sum = 0;
    int n = 2000;
    for (int i = 0; i < n; i++) {
      long ms = b.delay(50).toMillis();
      assertThat(ms).isBetween(0L, 10_000L);
      min = Math.min(min, ms);
      max = Math.max(max, ms);
      sum += ms;
    }
    assertThat(min).isLessThan(500);
    assertThat(max).isGreaterThan(9_500);
    assertThat(sum / n).isBetween(4_500L, 5_500L);
  }

  @Test
  void sameSeedSameDelays() {
    Backoff a = Backoff.exponentialFullJitter(
        Duration.ofMillis(100), 2.0, Duration.ofSeconds(30), new SplittableRandom(7));
    Backoff b = Backoff.exponentialFullJitter(
        Duration.ofMillis(100), 2.0, Duration.ofSeconds(30), new SplittableRandom(7));
    for (int i = 1; i <= 20; i++) {
      assertThat(a.delay(i)).isEqualTo(b.delay(i));
    }
  }

  @Test
  void constantIsConstant() {
    assertThat(Backoff.constant(Duration.ofSeconds(3)).delay(9)).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void misuseFailsWithTheValueNamed() {
    assertThatThrownBy(() -> Backoff.exponential(Duration.ZERO, 2))
        .hasMessageContaining("initial <= 0");
    assertThatThrownBy(() -> Backoff.exponential(Duration.ofMillis(1), 0.5))
        .hasMessageContaining("multiplier");
    assertThatThrownBy(() -> Backoff.constant(Duration.ofMillis(1)).capped(Duration.ofMillis(-1)))
        .hasMessageContaining("max <= 0");
    assertThatThrownBy(() -> Backoff.constant(Duration.ofMillis(1)).delay(0))
        .hasMessageContaining("attempt < 1");
  }
}
