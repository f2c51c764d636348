package dev.outpost.edge.sync.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.Backoff;
import dev.outpost.edge.sync.ErrorKind;
import dev.outpost.edge.sync.SendOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RetryGateTest {
  private static final Instant T0 = Instant.parse("2026-11-22T12:00:00Z");

  private static RetryGate gate(int growAfter) {
    return new RetryGate(
        Backoff.exponentialFullJitter(Duration.ofMillis(100), 2.0, Duration.ofSeconds(10), new SplittableRandom(1)),
        Duration.ofSeconds(60), growAfter);
  }

  private static void succeed(RetryGate g, int times) {
    for (int i = 0; i < times; i++) {
      g.succeeded(T0);
    }
  }

  @Test
  void aBatchSizeLearnedFromA413DoublesBackAfterSuccessesUpToTheConfiguredOne() {
    RetryGate g = gate(4);
    assertThat(g.maxRecords(5000)).isEqualTo(5000);
    g.tooLarge(5000);
    g.tooLarge(2501);
    g.tooLarge(1251);
    assertThat(g.maxRecords(5000)).isEqualTo(626);
    succeed(g, 3);
    assertThat(g.maxRecords(5000)).isEqualTo(626);
    succeed(g, 1);
    assertThat(g.maxRecords(5000)).isEqualTo(1252);
    succeed(g, 4);
    assertThat(g.maxRecords(5000)).isEqualTo(2504);
    succeed(g, 4 * 40); // bounded: never past the configured size, never overflowing
    assertThat(g.maxRecords(5000)).isEqualTo(5000);
    assertThat(g.maxRecords(Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void aGrownSizeRefusedAgainMakesTheNextWaitTwiceAsLong() {
    RetryGate g = gate(4);
    g.tooLarge(100); // the server takes 40 at most
    g.tooLarge(51);
    assertThat(g.maxRecords(100)).isEqualTo(26);
    succeed(g, 4);
    assertThat(g.maxRecords(100)).isEqualTo(52);
    g.tooLarge(52);
    assertThat(g.maxRecords(100)).isEqualTo(27);
    assertThat(g.growAfter()).isEqualTo(8);
    succeed(g, 7);
    assertThat(g.maxRecords(100)).isEqualTo(27);
    succeed(g, 1);
    assertThat(g.maxRecords(100)).isEqualTo(54);
    // a 413 right after a split, before any growth, does not lengthen the wait
    g.tooLarge(54);
    g.tooLarge(28);
    assertThat(g.growAfter()).isEqualTo(16);
  }

  @Test
  void aNetworkFailureBetweenSuccessesNeitherCountsNorResetsAndBadSettingsAreNamed() {
    RetryGate g = gate(2);
    g.tooLarge(10);
    g.succeeded(T0);
    g.failed(new SendOutcome.Failed(ErrorKind.NETWORK, 0, "reset", null, Duration.ofMillis(3)), 0, T0);
    assertThat(g.maxRecords(10)).isEqualTo(6);
    g.succeeded(T0);
    assertThat(g.maxRecords(10)).isEqualTo(10);
    assertThatThrownBy(() -> gate(0)).hasMessageContaining("growAfter < 1");
  }
}
