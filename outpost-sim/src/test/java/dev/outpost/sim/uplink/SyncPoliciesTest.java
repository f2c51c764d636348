package dev.outpost.sim.uplink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outpost.core.Backoff;
import dev.outpost.core.LinkState;
import dev.outpost.core.LinkStateMachine;
import dev.outpost.core.MessageId;
import dev.outpost.core.Priority;
import dev.outpost.edge.DeadLetter;
import dev.outpost.edge.sync.ErrorKind;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.sync.SyncStatus;
import dev.outpost.server.StoredRecord;
import dev.outpost.sim.DeliveryReport;
import dev.outpost.sim.Fault;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the uplink reacts to what the server says and to the link's state, end to end. */
class SyncPoliciesTest {
  private static final Duration DRAIN = Duration.ofSeconds(20);

  @TempDir Path dir;

  @Test
  void unauthorizedPausesTheUplinkWithoutDeadLetteringOrAStorm() throws Exception {
    try (UplinkRig rig = UplinkRig.start(dir)) {
      rig.startEngine(rig.fastConfig().authRetryInterval(Duration.ofMillis(500)).build());
      rig.append(20);
      rig.awaitDrained(DRAIN);
      rig.proxy.setFault(Fault.httpStatus(401));
      rig.append(100);
      await().atMost(Duration.ofSeconds(5)).until(() -> rig.status().pausedBy() == ErrorKind.AUTH);
      long before = rig.transport.ingestRequests();
      await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> true);
      // one ingest try per 500 ms: no storm
      assertThat(rig.transport.ingestRequests() - before).isBetween(1L, 5L);
      SyncStatus st = rig.status();
      assertThat(st.paused()).isTrue();
      assertThat(st.lastError()).contains("401");
      assertThat(st.deadLettered()).isZero();
      assertThat(rig.outbox.stats().deadLetters()).isZero();

      rig.proxy.heal();
      rig.awaitDrained(DRAIN);
      assertThat(rig.status().paused()).isFalse();
      rig.assertExactlyOnceInOrder();
    }
  }

  @Test
  void aBatchTooLargeForTheServerIsSplit() throws Exception {
    try (UplinkRig rig = UplinkRig.start(dir, b -> b.maxBatchRecords(10))) {
      rig.startEngine(rig.fastConfig().maxBatchRecords(64).build());
      rig.append(400);
      rig.awaitDrained(DRAIN);
      assertThat(rig.status().deadLettered()).isZero();
      rig.assertExactlyOnceInOrder();
    }
  }

  @Test
  void aRecordTheServerRejectsIsDeadLetteredWithItsReason() throws Exception {
    try (UplinkRig rig = UplinkRig.start(dir, b -> b.maxPayloadBytes(100))) {
      rig.startEngine(rig.fastConfig().build());
      rig.append(30);
      List<Long> big = rig.outbox.appendAll(List.of(
          new NewRecord("sensors/temp", UplinkRig.payload(0, 300), Priority.NORMAL)));
      rig.ledger.acknowledged(new MessageId(UplinkRig.DEVICE, rig.outbox.epoch(), big.get(0)),
          "sensors/temp", Priority.NORMAL);
      rig.append(30);
      rig.awaitDrained(DRAIN);
      List<DeadLetter> dead = rig.outbox.deadLetters(0, 10);
      assertThat(dead).singleElement().satisfies(d -> {
        assertThat(d.message().seq()).isEqualTo(big.get(0));
        assertThat(d.reason()).isEqualTo("payload is 300 bytes, over the limit of 100");
      });
      assertThat(rig.status().deadLettered()).isEqualTo(1);
      DeliveryReport r = rig.check();
      assertThat(r.lost()).isEqualTo(1); // the dead letter, and nothing else
      assertThat(r.lostSample()).extracting(MessageId::seq).containsExactly(big.get(0));
      assertThat(r.duplicates() + r.orderViolations() + r.mismatched()).isZero();
      assertThat(r.stored()).isEqualTo(60);
    }
  }

  @Test
  void aDegradedLinkSendsOnlyCriticalAndHigh() throws Exception {
    try (UplinkRig rig = UplinkRig.start(dir)) {
      // a slow link: every answer trickles in, far over the 50 ms "high latency" mark
      rig.proxy.setFault(Fault.trickle(500)); // 50-byte chunks, 10 a second
      rig.append(100, Priority.NORMAL, Priority.LOW);
      rig.append(25, Priority.CRITICAL, Priority.HIGH);
      rig.startEngine(rig.fastConfig()
          .requestTimeout(Duration.ofSeconds(10))
          .leaseTimeout(Duration.ofSeconds(20))
          .linkPolicy(new LinkStateMachine.Policy(4, 0.3, Duration.ofMillis(50), 3, Duration.ofSeconds(2)))
          .build());
      await().atMost(Duration.ofSeconds(15)).until(() -> {
        SyncStatus s = rig.status();
        return s.backlog().get(Priority.CRITICAL) == 0 && s.backlog().get(Priority.HIGH) == 0
            && s.inFlightBatches() == 0;
      });
      SyncStatus s = rig.status();
      assertThat(s.link()).isIn(LinkState.DEGRADED, LinkState.TRANSITIONING);
      assertThat(s.backlog().get(Priority.NORMAL) + s.backlog().get(Priority.LOW)).isEqualTo(100);
      assertThat(rig.server.store().page(0, 1000, null, null))
          .extracting(StoredRecord::message)
          .allMatch(m -> m.priority().rank() <= Priority.HIGH.rank())
          .hasSize(25);

      rig.proxy.heal();
      rig.awaitDrained(DRAIN);
      rig.assertExactlyOnceInOrder();
    }
  }

  @Test
  void comingBackOnlineDrainsAtOnceDespiteALongBackoff() throws Exception {
    // a seed whose first jittered delays out of [0, 20 s] are all long
    long seed = 1;
    while (!allLong(seed)) {
      seed++;
    }
    try (UplinkRig rig = UplinkRig.start(dir)) {
      rig.startEngine(rig.fastConfig()
              .maxInFlight(1)
              .retry(Duration.ofSeconds(20), Duration.ofSeconds(20))
              .heartbeat(Duration.ofMillis(300), Duration.ofMillis(50), Duration.ofMillis(100))
              .build(),
          new SplittableRandom(seed));
      rig.append(20);
      rig.awaitDrained(DRAIN);
      rig.proxy.setFault(Fault.httpStatus(500));
      rig.append(200);
      await().atMost(Duration.ofSeconds(5)).until(() -> rig.status().link() == LinkState.OFFLINE);
      Instant retryAt = rig.status().nextAttemptAt();
      assertThat(retryAt).isAfter(Instant.now().plusSeconds(5));

      rig.proxy.heal();
      AtomicLong drainedAt = new AtomicLong();
      rig.awaitDrained(Duration.ofSeconds(5));
      drainedAt.set(System.currentTimeMillis());
      assertThat(drainedAt.get()).isLessThan(retryAt.toEpochMilli());
      rig.assertExactlyOnceInOrder();
    }
  }

  private static boolean allLong(long seed) {
    Backoff b = Backoff.exponentialFullJitter(
        Duration.ofSeconds(20), 2.0, Duration.ofSeconds(20), new SplittableRandom(seed));
    for (int i = 1; i <= 4; i++) {
      if (b.delay(i).compareTo(Duration.ofSeconds(12)) < 0) {
        return false;
      }
    }
    return true;
  }

  @Test
  void retryAfterIsHonoured() throws Exception {
    try (UplinkRig rig = UplinkRig.start(dir)) {
      // without Retry-After this backoff would retry every few milliseconds
      rig.startEngine(rig.fastConfig()
          .maxInFlight(1)
          .retry(Duration.ofMillis(5), Duration.ofMillis(10))
          .healthReportInterval(Duration.ofSeconds(30))
          .build());
      rig.append(20);
      rig.awaitDrained(DRAIN);
      rig.proxy.setFault(Fault.httpStatus(429, 2));
      long before = rig.transport.ingestRequests();
      rig.append(50);
      await().atMost(Duration.ofSeconds(3)).until(() -> rig.status().lastErrorKind() == ErrorKind.THROTTLED);
      Instant next = rig.status().nextAttemptAt();
      assertThat(next).isAfter(Instant.now().plusMillis(1000));
      await().pollDelay(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4)).until(() -> true);
      // one try, then one per 2 s; without Retry-After this backoff would make hundreds
      assertThat(rig.transport.ingestRequests() - before).isBetween(1L, 3L);
      assertThat(rig.proxy.stats().faults(Fault.Kind.HTTP_STATUS)).isPositive();
      rig.proxy.heal();
      rig.awaitDrained(DRAIN);
      rig.assertExactlyOnceInOrder();
    }
  }
}
