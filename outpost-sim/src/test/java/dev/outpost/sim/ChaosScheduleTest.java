package dev.outpost.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChaosScheduleTest {

  private static ChaosSchedule.Builder schedule(long seed, ManualTime time) {
    return ChaosSchedule.builder(new Random(seed)).clock(time).scheduler(time);
  }

  @Test
  void theSameSeedGivesTheSameBadDayWithCalmBetweenEpisodes() throws IOException {
    List<ChaosSchedule.Phase> first = run(42);
    List<ChaosSchedule.Phase> second = run(42);
    assertThat(second).isEqualTo(first);
    assertThat(run(43)).isNotEqualTo(first);

    for (int i = 0; i + 1 < first.size(); i++) {
      boolean calm = first.get(i).fault().kind() == Fault.Kind.PASS;
      assertThat(calm).as("phase %d alternates", i).isEqualTo(i % 2 == 1);
      Duration d = first.get(i).duration();
      switch (first.get(i).fault().kind()) {
        case PASS -> assertThat(d).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(5));
        case REFUSE, BLACKHOLE -> assertThat(d).isBetween(Duration.ofSeconds(3), Duration.ofSeconds(8));
        case TRICKLE -> assertThat(d).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(5));
        case HTTP_STATUS -> assertThat(d).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(3));
        case RESET, LOSE_ANSWER -> assertThat(d).isBetween(Duration.ofMillis(500), Duration.ofMillis(1500));
      }
    }
    assertThat(first.stream().map(p -> p.fault().kind()).distinct())
        .contains(Fault.Kind.REFUSE, Fault.Kind.BLACKHOLE, Fault.Kind.RESET, Fault.Kind.TRICKLE,
            Fault.Kind.HTTP_STATUS, Fault.Kind.LOSE_ANSWER);
  }

  private static List<ChaosSchedule.Phase> run(long seed) throws IOException {
    ManualTime time = new ManualTime();
    try (FarEnd farEnd = new FarEnd();
        FaultProxy proxy = FaultProxy.start("seed", farEnd.address());
        ChaosSchedule chaos = schedule(seed, time).build()) {
      chaos.start(proxy);
      time.advance(Duration.ofMinutes(5));
      chaos.heal();
      return chaos.history();
    }
  }

  @Test
  void drivesTheProxyPhaseByPhaseAndMeasuresTheLongestOutage() throws IOException {
    ManualTime time = new ManualTime();
    try (FarEnd farEnd = new FarEnd();
        FaultProxy a = FaultProxy.start("a", farEnd.address());
        FaultProxy b = FaultProxy.start("b", farEnd.address());
        ChaosSchedule chaos = schedule(7, time).calm(Duration.ofMillis(1), Duration.ofSeconds(1)).build()) {
      chaos.start(List.of(a, b));
      Duration expectedLongest = Duration.ZERO;
      Duration outageSoFar = Duration.ZERO;
      for (int i = 0; i < 60; i++) {
        ChaosSchedule.Phase now = chaos.history().getLast();
        assertThat(a.mode()).isEqualTo(now.fault().toString());
        assertThat(b.mode()).isEqualTo(now.fault().toString());
        if (now.isOutage()) {
          outageSoFar = outageSoFar.plus(now.duration());
          expectedLongest = outageSoFar.compareTo(expectedLongest) > 0 ? outageSoFar : expectedLongest;
        } else {
          outageSoFar = Duration.ZERO;
        }
        time.advance(now.duration());
      }
      assertThat(chaos.longestOutage()).isEqualTo(expectedLongest).isPositive();

      chaos.heal();
      int phases = chaos.history().size();
      assertThat(a.mode()).isEqualTo("PASS");
      assertThat(time.pending()).isZero();
      time.advance(Duration.ofMinutes(1));
      assertThat(chaos.history()).hasSize(phases);
      assertThat(chaos.episodes().get(Fault.Kind.PASS)).isGreaterThan(20);

      chaos.start(a); // a second bad day on the same schedule: one chain of phases, not two
      assertThat(time.pending()).isEqualTo(1);
      time.advance(Duration.ofMinutes(2));
      assertThat(time.pending()).isEqualTo(1);
      assertThat(chaos.history().size()).isGreaterThan(phases + 10);
      assertThatThrownBy(() -> chaos.start(a)).hasMessageContaining("already running");
    }
  }

  @Test
  void runsOnItsOwnTimerAndLeavesNoThreadAfterClose() throws IOException {
    try (FarEnd farEnd = new FarEnd(); FaultProxy proxy = FaultProxy.start("rt", farEnd.address())) {
      ChaosSchedule chaos = ChaosSchedule.builder(new Random(1))
          .calm(Duration.ofMillis(10), Duration.ofMillis(20))
          .outage(Duration.ofMillis(10), Duration.ofMillis(30))
          .slow(Duration.ofMillis(10), Duration.ofMillis(20), 1024)
          .burst(Duration.ofMillis(10), Duration.ofMillis(20))
          .blip(Duration.ofMillis(10), Duration.ofMillis(20))
          .build();
      chaos.start(proxy);
      await().atMost(Duration.ofSeconds(5)).until(() -> chaos.history().size() >= 20);
      chaos.close();
      assertThat(proxy.mode()).isEqualTo("PASS");
      await().atMost(Duration.ofSeconds(5)).until(() -> ThreadCensus.count("outpost-chaos-") == 0);
    }
  }

  @Test
  void badSettingsAreRejectedByName() {
    ChaosSchedule.Builder b = ChaosSchedule.builder(new Random(1));
    assertThatThrownBy(() -> b.outage(Duration.ofSeconds(5), Duration.ofSeconds(1)))
        .hasMessageContaining("outage");
    assertThatThrownBy(() -> b.weight(Fault.Kind.RESET, -1)).hasMessageContaining("RESET");
    for (Fault.Kind k : Fault.Kind.values()) {
      if (k != Fault.Kind.PASS) {
        b.weight(k, 0);
      }
    }
    assertThatThrownBy(b::build).hasMessageContaining("weight");
  }
}
