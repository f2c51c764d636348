package dev.outpost.sim.uplink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outpost.core.LinkState;
import dev.outpost.edge.sync.ErrorKind;
import dev.outpost.edge.sync.SyncEngine;
import dev.outpost.edge.sync.SyncStatus;
import dev.outpost.server.DeviceInfo;
import dev.outpost.sim.Fault;
import dev.outpost.sim.FaultMix;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The uplink end to end under every fault the proxy injects: a real server, a real SQLite
 * outbox, the sync engine in between. Each test heals the link at the end and checks through the
 * server's read-back API that every appended record is stored exactly once, in order per lane.
 */
class SyncUnderFaultsTest {
  private static final Duration DRAIN = Duration.ofSeconds(20);

  @TempDir Path dir;

  @Test
  void refusedConnectionsLoseNothingAndTheLinkGoesOffline() throws Exception {
    try (UplinkRig rig = UplinkRig.start(dir)) {
      SyncEngine engine = rig.startEngine(rig.fastConfig().build());
      rig.append(100);
      rig.awaitDrained(DRAIN);
      rig.proxy.setFault(Fault.refuse());
      rig.append(300);
      await().atMost(Duration.ofSeconds(5)).until(() -> rig.status().link() == LinkState.OFFLINE);
      SyncStatus down = engine.status();
      assertThat(down.offlineSince()).isNotNull();
      assertThat(down.upSince()).isNull();
      assertThat(down.consecutiveFailures()).isPositive();
      assertThat(down.lastErrorKind()).isEqualTo(ErrorKind.NETWORK);
      assertThat(down.backlog().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(300);

      rig.proxy.heal();
      rig.awaitDrained(DRAIN);
      SyncStatus up = engine.status();
      assertThat(up.link()).isEqualTo(LinkState.ONLINE);
      assertThat(up.offlineSince()).isNull();
      assertThat(up.lastSuccessfulSync()).isNotNull();
      rig.assertExactlyOnceInOrder();
      // the health report reached the server: GET /v1/devices shows it
      await().atMost(Duration.ofSeconds(5)).until(() -> {
        DeviceInfo d = rig.server.devices().list().get(0);
        return d.healthJson() != null && d.healthJson().contains("\"link\":\"ONLINE\"")
            && d.healthJson().contains("\"lastSuccessfulSync\":\"20");
      });
      assertThat(rig.server.devices().list().get(0).healthJson())
          .contains("\"backlog\":{\"CRITICAL\":", "\"lastErrorKind\":\"NETWORK\"");
    }
  }

  @Test
  void aBriefBlipIsAbsorbedWithoutGoingOffline() throws Exception {
    try (UplinkRig rig = UplinkRig.start(dir)) {
      SyncEngine engine = rig.startEngine(rig.fastConfig()
          .linkPolicy(new dev.outpost.core.LinkStateMachine.Policy(10, 0.3, Duration.ofSeconds(2), 3,
              Duration.ofSeconds(3)))
          .build());
      List<LinkState> seen = new CopyOnWriteArrayList<>();
      engine.linkMonitor().addListener((from, to) -> seen.add(to));
      rig.append(50);
      rig.awaitDrained(DRAIN);
      rig.proxy.setFault(Fault.refuse());
      rig.append(200);
      await().atMost(Duration.ofSeconds(5)).until(() -> rig.status().link() == LinkState.TRANSITIONING);
      rig.proxy.heal();
      rig.awaitDrained(DRAIN);
      assertThat(seen).contains(LinkState.TRANSITIONING).doesNotContain(LinkState.OFFLINE);
      assertThat(rig.status().link()).isEqualTo(LinkState.ONLINE);
      rig.assertExactlyOnceInOrder();
    }
  }

  @Test
  void connectionsResetMidRequest() throws Exception {
    runThroughFault(Fault.reset(), Fault.Kind.RESET);
  }

  @Test
  void aBlackHoleTimesOutAndRetries() throws Exception {
    try (UplinkRig rig = UplinkRig.start(dir)) {
      rig.startEngine(rig.fastConfig().build());
      rig.append(20);
      rig.awaitDrained(DRAIN);
      rig.proxy.setFault(Fault.blackhole());
      rig.append(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> rig.status().lastErrorKind() == ErrorKind.TIMEOUT);
      rig.proxy.heal();
      rig.awaitDrained(DRAIN);
      rig.assertExactlyOnceInOrder();
    }
  }

  @Test
  void aTricklingLink() throws Exception {
    runThroughFault(Fault.trickle(3000), Fault.Kind.TRICKLE);
  }

  @ParameterizedTest
  @ValueSource(ints = {500, 503, 429})
  void serverErrorsAndThrottling(int status) throws Exception {
    runThroughFault(Fault.httpStatus(status, status == 500 ? -1 : 0), Fault.Kind.HTTP_STATUS);
  }

  /** The nasty one: the server commits, then the answer is cut; the retry must be a duplicate. */
  @Test
  void answersLostAfterTheServerCommitted() throws Exception {
    try (UplinkRig rig = UplinkRig.start(dir)) {
      rig.startEngine(rig.fastConfig().build());
      rig.append(20);
      rig.awaitDrained(DRAIN);
      rig.proxy.setFault(Fault.loseAnswer());
      rig.append(300);
      await().atMost(Duration.ofSeconds(10)).until(() -> rig.status().retries() >= 3);
      assertThat(rig.outbox.stats().pendingTotal() + rig.outbox.stats().inFlight()).isPositive();
      rig.proxy.heal();
      rig.awaitDrained(DRAIN);
      rig.assertExactlyOnceInOrder();
      DeviceInfo d = rig.server.devices().list().get(0);
      assertThat(d.duplicates()).as("re-sent records answered as duplicates").isPositive();
      assertThat(d.stored()).isEqualTo(320);
    }
  }

  @Test
  void aMixOfEveryFaultWhileAppending() throws Exception {
    try (UplinkRig rig = UplinkRig.start(dir)) {
      rig.startEngine(rig.fastConfig().build());
      rig.proxy.setMix(FaultMix.builder(new Random(42))
          .add(Fault.pass(), 0.35)
          .add(Fault.reset(), 0.15)
          .add(Fault.loseAnswer(), 0.15)
          .add(Fault.httpStatus(500), 0.1)
          .add(Fault.httpStatus(503, 0), 0.1)
          .add(Fault.blackhole(), 0.05)
          .add(Fault.trickle(20_000), 0.1)
          .build());
      for (int round = 0; round < 6; round++) {
        rig.append(150);
        int r = round;
        await().atMost(Duration.ofSeconds(5)).until(() -> rig.proxy.stats().requests() > r * 4L);
        if (round == 3) {
          rig.proxy.cutAll();
        }
      }
      rig.proxy.heal();
      rig.awaitDrained(Duration.ofSeconds(30));
      rig.assertExactlyOnceInOrder();
    }
  }

  private void runThroughFault(Fault fault, Fault.Kind counted) throws Exception {
    try (UplinkRig rig = UplinkRig.start(dir)) {
      rig.startEngine(rig.fastConfig().build());
      rig.append(50);
      rig.awaitDrained(DRAIN);
      rig.proxy.setFault(fault);
      rig.append(300);
      await().atMost(Duration.ofSeconds(10)).until(() -> rig.proxy.stats().faults(counted) >= 3);
      rig.proxy.heal();
      rig.awaitDrained(DRAIN);
      rig.assertExactlyOnceInOrder();
    }
  }
}
