package dev.outpost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
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

  @Test
  void policyNamesTheBadValue() {
    assertThatThrownBy(() -> new LinkStateMachine.Policy(0, 0.3, Duration.ofSeconds(1), 3, Duration.ZERO))
        .hasMessageContaining("window < 1");
    assertThatThrownBy(() -> new LinkStateMachine.Policy(5, 1.5, Duration.ofSeconds(1), 3, Duration.ZERO))
        .hasMessageContaining("degradedFailureShare");
    assertThatThrownBy(() -> new LinkStateMachine.Policy(5, 0.3, Duration.ZERO, 3, Duration.ZERO))
        .hasMessageContaining("degradedLatency");
  }

  @Test
  void sendingRulesPerState() {
    assertThat(LinkState.ONLINE.lowestPriority()).isEqualTo(Priority.LOW);
    assertThat(LinkState.DEGRADED.lowestPriority()).isEqualTo(Priority.HIGH);
    assertThat(LinkState.OFFLINE.sends()).isFalse();
    assertThat(LinkState.TRANSITIONING.sends()).isTrue();
  }
}
