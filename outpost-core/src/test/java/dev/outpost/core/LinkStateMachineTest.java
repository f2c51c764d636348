package dev.outpost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

class LinkStateMachineTest {
  private final LinkStateMachine.Policy policy = LinkStateMachine.Policy.defaults();

  private LinkStateMachine online() {
    LinkStateMachine m = new LinkStateMachine(policy, LinkState.OFFLINE, 0);
    assertThat(m.onSuccess(0, 10)).isEqualTo(LinkState.ONLINE);
    return m;
  }

  @Test
  void aHeartbeatBringsAnOfflineLinkOnline() {
    LinkStateMachine m = new LinkStateMachine(policy, LinkState.OFFLINE, 0);
    assertThat(m.state()).isEqualTo(LinkState.OFFLINE);
    assertThat(m.onSuccess(100, 20)).isEqualTo(LinkState.ONLINE);
    assertThat(m.stateSinceMillis()).isEqualTo(100);
  }

  @Test
  void aBriefBlipIsAbsorbedByTheGraceWindow() {
    LinkStateMachine m = online();
    m.onFailure(1000);
    m.onFailure(1100);
    assertThat(m.state()).isEqualTo(LinkState.ONLINE);
    assertThat(m.onFailure(1200)).isEqualTo(LinkState.TRANSITIONING);
    assertThat(m.graceEndsAtMillis()).isEqualTo(6200);
    assertThat(m.tick(6000)).isEqualTo(LinkState.TRANSITIONING);
    assertThat(m.onSuccess(6100, 15)).isEqualTo(LinkState.ONLINE);
    assertThat(m.consecutiveFailures()).isZero();
  }

  @Test
  void failuresPastTheGraceMeanOffline() {
    LinkStateMachine m = online();
    for (int i = 0; i < 3; i++) {
      m.onFailure(1000 + i);
    }
    assertThat(m.tick(6001)).isEqualTo(LinkState.TRANSITIONING);
    assertThat(m.tick(6002)).isEqualTo(LinkState.OFFLINE);
    assertThat(m.onFailure(9000)).isEqualTo(LinkState.OFFLINE);
    assertThat(m.graceEndsAtMillis()).isEqualTo(-1);
  }

  @Test
  void highLatencyIsDegradedAndRecoversWithHysteresis() {
    LinkStateMachine m = online();
    for (int i = 0; i < 20; i++) {
      m.onSuccess(i, 2500);
    }
    assertThat(m.state()).isEqualTo(LinkState.DEGRADED);
    // 1.6 s average is under 2 s but over 3/4 of it: stays DEGRADED (no flapping)
    for (int i = 0; i < 20; i++) {
      m.onSuccess(100 + i, 1600);
    }
    assertThat(m.state()).isEqualTo(LinkState.DEGRADED);
    for (int i = 0; i < 20; i++) {
      m.onSuccess(200 + i, 50);
    }
    assertThat(m.state()).isEqualTo(LinkState.ONLINE);
  }

  @Test
  void successesWithoutALatencySampleDoNotMoveTheAverage() {
    LinkStateMachine m = online();
    for (int i = 0; i < 30; i++) {
      m.onSuccess(i, -1); // big uploads: answered, time unrelated to the link
    }
    assertThat(m.averageLatencyMillis()).isZero();
    m.onSuccess(100, 3000);
    assertThat(m.averageLatencyMillis()).isEqualTo(3000);
    assertThat(m.state()).isEqualTo(LinkState.DEGRADED);
  }

  @Test
  void aLossyLinkIsDegradedNotOffline() {
    LinkStateMachine m = online();
    SplittableRandom rnd = new SplittableRandom(1);
    long t = 0;
    // every other request fails, never three in a row
    for (int i = 0; i < 40; i++) {
      t += 100;
      if (i % 2 == 0) {
        m.onFailure(t);
      } else {
        m.onSuccess(t, 20 + rnd.nextInt(10));
      }
    }
    assertThat(m.state()).isEqualTo(LinkState.DEGRADED);
    assertThat(m.failureShare()).isEqualTo(0.5);
  }

  @Test
  void comingBackFromOfflineForgetsTheOldFailures() {
    LinkStateMachine m = online();
    for (int i = 0; i < 10; i++) {
      m.onFailure(1000 + i);
    }
    m.tick(10_000);
    assertThat(m.state()).isEqualTo(LinkState.OFFLINE);
    assertThat(m.onSuccess(20_000, 30)).isEqualTo(LinkState.ONLINE);
    assertThat(m.failureShare()).isZero();
  }

  /** DEGRADED at t = 0..1.9 s by failures and slow answers. */
  private static LinkStateMachine degraded(LinkStateMachine.Policy policy) {
    LinkStateMachine m = new LinkStateMachine(policy, LinkState.OFFLINE, 0);
    m.onSuccess(0, 10);
    for (int i = 1; i < 20; i++) {
      if (i % 2 == 0) {
        m.onFailure(i * 100L);
      } else {
        m.onSuccess(i * 100L, 2500);
      }
    }
    assertThat(m.state()).isEqualTo(LinkState.DEGRADED);
    return m;
  }

  @Test
  void aFewHealthyProbesBringADegradedLinkBackWithinSeconds() {
    LinkStateMachine m = degraded(policy);
    long t = 2000;
    int probes = 0;
    // the link healed: one fast heartbeat a second
    while (m.state() == LinkState.DEGRADED && probes < 30) {
      t += 1000;
      probes++;
      m.onSuccess(t, 15);
    }
    assertThat(m.state()).isEqualTo(LinkState.ONLINE);
    assertThat(probes).isEqualTo(policy.healthyToRecover());
    assertThat(m.stateSinceMillis()).isLessThanOrEqualTo(2000 + 3_000);
    // the window now holds only the healthy run: a single failure does not undo it
    assertThat(m.failureShare()).isZero();
    assertThat(m.onFailure(t + 100)).isEqualTo(LinkState.ONLINE);
  }

  @Test
  void slowProbesOrAFailureBreakTheHealthyRun() {
    LinkStateMachine m = degraded(policy);
    m.onSuccess(3000, 15);
    m.onSuccess(4000, 15);
    m.onSuccess(5000, 1600); // under 2 s, but not under 3/4 of it: not healthy
    m.onSuccess(6000, 15);
    m.onSuccess(7000, 15);
    assertThat(m.state()).isEqualTo(LinkState.DEGRADED);
    m.onFailure(7500);
    m.onSuccess(8000, 15);
    m.onSuccess(9000, 15);
    assertThat(m.state()).isEqualTo(LinkState.DEGRADED);
    m.onSuccess(9500, -1); // a big upload: neither counts nor breaks the run
    assertThat(m.onSuccess(10_000, 15)).isEqualTo(LinkState.ONLINE);
  }

  @Test
  void outcomesAgeOutOfTheWindowByTime() {
    // a run of 20 would need 20 probes: only the age can end this verdict early
    LinkStateMachine m = degraded(policy.withRecovery(Duration.ofSeconds(30), 20));
    assertThat(m.onSuccess(20_000, 15)).isEqualTo(LinkState.DEGRADED); // failures 18 s old still count
    // a minute later the old verdict's outcomes are gone: one fresh probe decides
    assertThat(m.onSuccess(62_000, 15)).isEqualTo(LinkState.ONLINE);
    assertThat(m.failureShare()).isZero();
    assertThat(m.averageLatencyMillis()).isEqualTo(15);
  }

  /** One outcome a second from t = 3 s, {@code n} times; how often the state changed. */
  private static int stateChanges(LinkStateMachine m, int n, BiFunction<Integer, Long, LinkState> outcome) {
    int changes = 0;
    LinkState last = m.state();
    for (int i = 0; i < n; i++) {
      LinkState s = outcome.apply(i, 3000 + i * 1000L);
      if (s != last) {
        changes++;
        last = s;
      }
    }
    return changes;
  }

  @Test
  void alternatingOutcomesDoNotFlap() {
    LinkStateMachine m = degraded(policy);
    int changes = stateChanges(m, 600, (i, t) -> switch (i % 4) {
      case 0 -> m.onFailure(t);
      case 1 -> m.onSuccess(t, 15);
      case 2 -> m.onSuccess(t, 2600);
      default -> m.onSuccess(t, 20);
    });
    assertThat(changes).isZero();
    assertThat(m.state()).isEqualTo(LinkState.DEGRADED);
  }

  @Test
  void aRecoveryThatDoesNotHoldDoublesTheRunNeeded() {
    LinkStateMachine m = degraded(policy);
    // 40 % loss in a pattern that gives runs of 3 (the default) but never 3 failures in a row
    int changes = stateChanges(m, 500, (i, t) -> i % 5 < 3 ? m.onSuccess(t, 15) : m.onFailure(t));
    assertThat(changes).isEqualTo(2); // one recovery, one fall back, then it stays put
    assertThat(m.state()).isEqualTo(LinkState.DEGRADED);
    assertThat(m.healthyRunNeeded()).isEqualTo(2 * policy.healthyToRecover());
    // a link that really healed still comes back, with the longer run
    long t = 3000 + 499 * 1000L;
    int probes = 0;
    while (m.state() == LinkState.DEGRADED && probes < 30) {
      probes++;
      m.onSuccess(t += 1000, 15);
    }
    assertThat(probes).isEqualTo(2 * policy.healthyToRecover());
    // and once ONLINE holds for a window, the next slip needs only the default run again
    for (int i = 0; i < 25; i++) {
      m.onSuccess(t += 1000, 15);
    }
    for (int i = 0; i < 20; i++) {
      m.onSuccess(t += 1000, 3000);
    }
    assertThat(m.state()).isEqualTo(LinkState.DEGRADED);
    assertThat(m.healthyRunNeeded()).isEqualTo(policy.healthyToRecover());
  }

  @Test
  void policyNamesTheBadValue() {
    assertThatThrownBy(() -> new LinkStateMachine.Policy(0, 0.3, Duration.ofSeconds(1), 3, Duration.ZERO))
        .hasMessageContaining("window < 1");
    assertThatThrownBy(() -> new LinkStateMachine.Policy(5, 1.5, Duration.ofSeconds(1), 3, Duration.ZERO))
        .hasMessageContaining("degradedFailureShare");
    assertThatThrownBy(() -> new LinkStateMachine.Policy(5, 0.3, Duration.ZERO, 3, Duration.ZERO))
        .hasMessageContaining("degradedLatency");
    assertThatThrownBy(() -> policy.withRecovery(Duration.ZERO, 3)).hasMessageContaining("maxSampleAge");
    assertThatThrownBy(() -> policy.withRecovery(Duration.ofSeconds(1), 0))
        .hasMessageContaining("healthyToRecover < 1");
  }

  @Test
  void sendingRulesPerState() {
    assertThat(LinkState.ONLINE.lowestPriority()).isEqualTo(Priority.LOW);
    assertThat(LinkState.DEGRADED.lowestPriority()).isEqualTo(Priority.HIGH);
    assertThat(LinkState.OFFLINE.sends()).isFalse();
    assertThat(LinkState.TRANSITIONING.sends()).isTrue();
  }
}
