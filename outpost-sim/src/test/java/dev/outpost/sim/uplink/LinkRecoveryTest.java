package dev.outpost.sim.uplink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outpost.core.LinkState;
import dev.outpost.core.LinkStateMachine;
import dev.outpost.core.Priority;
import dev.outpost.edge.sync.SyncConfig;
import dev.outpost.edge.sync.SyncStatus;
import dev.outpost.sim.Fault;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DEGRADED link holds NORMAL records back while HIGH ones go; once the link heals, the
 * default recovery (a heartbeat a second while DEGRADED, three fast answers in a row) brings it
 * back ONLINE and the NORMAL backlog drains within seconds, with nothing urgent pending to help.
 */
class LinkRecoveryTest {
  @TempDir Path dir;

  @Test
  void aSlowLinkHoldsNormalRecordsBackAndTheBacklogDrainsSecondsAfterItHeals() throws Exception {
    try (UplinkRig rig = UplinkRig.start(dir)) {
      // answers trickle in (500 B/s): far over the 150 ms latency mark; loopback is far under it
      rig.proxy.setFault(Fault.trickle(500));
      SyncConfig config = rig.fastConfig()
          .requestTimeout(Duration.ofSeconds(10))
          .leaseTimeout(Duration.ofSeconds(20))
          // the defaults where they matter here: 10 s heartbeat while ONLINE, backoff up to 30 s,
          // a 20-outcome window, 1 s heartbeat while DEGRADED, 3 fast answers to recover
          .heartbeat(Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(60))
          .retry(Duration.ofMillis(200), Duration.ofSeconds(30))
          .linkPolicy(new LinkStateMachine.Policy(20, 0.3, Duration.ofMillis(150), 3, Duration.ofSeconds(5)))
          .build();
      assertThat(config.link().heartbeatDegraded()).isEqualTo(Duration.ofSeconds(1));
      rig.startEngine(config);
      await().atMost(Duration.ofSeconds(10)).until(() -> rig.status().link() == LinkState.DEGRADED);

      rig.append(60, Priority.NORMAL);
      rig.append(20, Priority.HIGH);
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        SyncStatus s = rig.status();
        return s.backlog().get(Priority.HIGH) == 0 && s.inFlightBatches() == 0;
      });
      SyncStatus s = rig.status();
      assertThat(s.link()).isEqualTo(LinkState.DEGRADED);
      assertThat(s.backlog().get(Priority.NORMAL)).isEqualTo(60);

      rig.proxy.heal();
      long healedAt = System.nanoTime();
      rig.awaitDrained(Duration.ofSeconds(8));
      long drainMillis = (System.nanoTime() - healedAt) / 1_000_000;
      assertThat(rig.status().link()).isEqualTo(LinkState.ONLINE);
      assertThat(drainMillis).as("drain after heal, ms").isLessThan(8000);
      rig.assertExactlyOnceInOrder();
    }
  }
}
