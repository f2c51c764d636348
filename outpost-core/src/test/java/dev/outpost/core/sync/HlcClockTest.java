package dev.outpost.core.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HlcClockTest {
  private final HandClock clock = new HandClock(1_764_748_800_000L);

  @Test
  void timestampsOnlyGrowEvenWhenThePhysicalClockStepsBack() {
    HlcClock c = new HlcClock("gw-1", clock, HlcClock.DEFAULT_MAX_SKEW);
    Hlc a = c.now();
    Hlc b = c.now();
    clock.millis -= 5_000; // NTP stepped the clock back
    Hlc d = c.now();
    clock.millis += 10_000;
    Hlc e = c.now();
    assertThat(a).isLessThan(b);
    assertThat(b).isLessThan(d);
    assertThat(d.wallMillis()).isEqualTo(a.wallMillis());
    assertThat(e).isGreaterThan(d);
    assertThat(e.logical()).isZero();
  }

  @Test
  void aReceivedTimestampIsAdoptedAndTheNextLocalOneComesAfterIt() {
    HlcClock c = new HlcClock("gw-1", clock, HlcClock.DEFAULT_MAX_SKEW);
    Hlc remote = new Hlc(clock.millis + 30_000, 7, "gw-2");
    Hlc r = c.receive(remote);
    assertThat(r).isGreaterThan(remote);
    assertThat(c.now()).isGreaterThan(r);
  }

  @Test
  void aTimestampFurtherAheadThanTheSkewIsRefusedNamingTheSkewAndNotAdopted() {
    HlcClock c = new HlcClock("server", clock, Duration.ofSeconds(60));
    Hlc before = c.now();
    Hlc from2040 = new Hlc(2_208_988_800_000L, 0, "gw-9");
    assertThatThrownBy(() -> c.receive(from2040)).isInstanceOf(ClockSkewException.class)
        .hasMessageContaining("gw-9").hasMessageContaining("more than the allowed skew of PT1M");
    assertThatThrownBy(() -> c.check(from2040)).isInstanceOf(ClockSkewException.class);
    Hlc after = c.now();
    assertThat(after.wallMillis()).as("not adopted").isEqualTo(before.wallMillis());
    // within the skew is fine
    assertThat(c.receive(new Hlc(clock.millis + 59_000, 0, "gw-3")).wallMillis()).isEqualTo(clock.millis + 59_000);
  }

  @Test
  void theTextFormRoundTripsAndBadOnesAreNamed() {
    Hlc h = new Hlc(1_764_748_800_123L, 42, "gw-1.3f2a");
    assertThat(h).hasToString("1764748800123.42@gw-1.3f2a");
    assertThat(Hlc.parse(h.toString())).isEqualTo(h);
    assertThatThrownBy(() -> Hlc.parse("12@x")).hasMessageContaining("malformed HLC \"12@x\"");
    assertThatThrownBy(() -> Hlc.parse("1.x@n")).hasMessageContaining("malformed HLC");
    assertThatThrownBy(() -> new Hlc(1, 0, "a b")).hasMessageContaining("node id");
  }

  @Test
  void equalTimesAreOrderedByNodeSoNoTwoWritesTie() {
    Hlc a = new Hlc(5, 1, "a");
    Hlc b = new Hlc(5, 1, "b");
    assertThat(a).isLessThan(b);
    assertThat(Hlc.max(a, b)).isEqualTo(b);
    assertThat(Hlc.max(null, a)).isEqualTo(a);
  }
}
