package dev.outpost.edge.internal;

import static dev.outpost.edge.internal.DurabilityIdentityTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.edge.Lane;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PriorityLeaseTest {
  @TempDir Path dir;
  final TestClock clock = new TestClock();

  Outbox open() {
    return Outbox.open(dir, OutboxConfig.builder().clock(clock).build());
  }

  @Test
  void leaseDrainsMostUrgentFirstAndFifoWithinALane() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    Map<Lane, List<Long>> appended = new HashMap<>();
    try (Outbox outbox = open()) {
      for (int i = 0; i < 400; i++) {
        Priority p = Priority.values()[random.nextInt(4)];
        String topic = "t" + random.nextInt(3);
        long seq = outbox.append(topic, bytes("r" + i), p);
        appended.computeIfAbsent(new Lane(topic, p), k -> new ArrayList<>()).add(seq);
      }
      List<Message> drained = new ArrayList<>();
      for (int round = 0; round < 100; round++) {
        Lease lease = outbox.lease(LeaseRequest.of(1 + random.nextInt(37)));
        if (lease.isEmpty()) {
          break;
        }
        drained.addAll(lease.messages());
        outbox.ack(lease.seqs());
      }
      assertThat(drained).as("seed %d", seed).hasSize(400);
      for (int i = 1; i < drained.size(); i++) {
        assertThat(drained.get(i).priority()).as("seed %d", seed).isGreaterThanOrEqualTo(drained.get(i - 1).priority());
      }
      Map<Lane, List<Long>> seen = new HashMap<>();
      for (Message m : drained) {
        seen.computeIfAbsent(new Lane(m.topic(), m.priority()), k -> new ArrayList<>()).add(m.seq());
      }
      assertThat(seen).as("seed %d", seed).isEqualTo(appended);
      assertThat(outbox.stats().pendingTotal()).isZero();
      assertThat(outbox.stats().inFlight()).isZero();
    }
  }

  @Test
  void leasedRecordsAreNotHandedOutTwiceAndReleaseReturnsThem() {
    try (Outbox outbox = open()) {
      for (int i = 0; i < 10; i++) {
        outbox.append("t", bytes("r" + i), Priority.NORMAL);
      }
      Lease first = outbox.lease(LeaseRequest.of(4));
      Lease second = outbox.lease(LeaseRequest.of(100));
      assertThat(first.seqs()).containsExactly(1L, 2L, 3L, 4L);
      assertThat(second.seqs()).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
      assertThat(outbox.lease(LeaseRequest.of(10)).isEmpty()).isTrue();
      assertThat(outbox.stats().inFlight()).isEqualTo(10);
      outbox.release(first.seqs());
      Lease again = outbox.lease(LeaseRequest.of(10));
      assertThat(again.seqs()).containsExactly(1L, 2L, 3L, 4L);
      assertThat(again.attempts()).containsExactly(1, 1, 1, 1);
    }
  }

  @Test
  void aTimedOutLeaseReturnsToPending() {
    try (Outbox outbox = open()) {
      outbox.append("t", bytes("a"), Priority.HIGH);
      LeaseRequest shortLease = new LeaseRequest(10, Long.MAX_VALUE, Priority.LOW, Set.of(), Duration.ofSeconds(30));
      assertThat(outbox.lease(shortLease).seqs()).containsExactly(1L);
      clock.advance(Duration.ofSeconds(29));
      assertThat(outbox.lease(shortLease).isEmpty()).isTrue();
      clock.advance(Duration.ofSeconds(2));
      assertThat(outbox.lease(shortLease).seqs()).containsExactly(1L);
      clock.advance(Duration.ofSeconds(31));
      outbox.housekeep();
      assertThat(outbox.stats().inFlight()).isZero();
      assertThat(outbox.stats().pendingTotal()).isEqualTo(1);
    }
  }

  @Test
  void afterARestartEveryLeasedRecordIsPendingAgain() {
    try (Outbox outbox = open()) {
      for (int i = 0; i < 5; i++) {
        outbox.append("t", bytes("r" + i), Priority.NORMAL);
      }
      assertThat(outbox.lease(LeaseRequest.of(3)).size()).isEqualTo(3);
    }
    try (Outbox outbox = open()) {
      assertThat(outbox.stats().inFlight()).isZero();
      assertThat(outbox.stats().pendingTotal()).isEqualTo(5);
      assertThat(outbox.lease(LeaseRequest.of(10)).seqs()).containsExactly(1L, 2L, 3L, 4L, 5L);
    }
  }

  @Test
  void leaseRespectsExcludedLanesLowestPriorityAndMaxBytes() {
    try (Outbox outbox = open()) {
      outbox.append("a", new byte[100], Priority.CRITICAL);
      outbox.append("b", new byte[100], Priority.CRITICAL);
      outbox.append("a", new byte[100], Priority.HIGH);
      outbox.append("a", new byte[100], Priority.NORMAL);
      LeaseRequest req = new LeaseRequest(10, 1000, Priority.HIGH,
          Set.of(new Lane("a", Priority.CRITICAL)), Duration.ofMinutes(1));
      assertThat(outbox.lease(req).seqs()).containsExactly(2L, 3L);
      assertThat(outbox.lease(new LeaseRequest(10, 150, Priority.LOW, Set.of(), Duration.ofMinutes(1))).seqs())
          .containsExactly(1L);
      assertThat(outbox.lease(new LeaseRequest(10, 150, Priority.LOW, Set.of(), Duration.ofMinutes(1))).seqs())
          .containsExactly(4L);
    }
  }

  @Test
  void excludingABusyLaneStillDrainsTheOtherLanesFifo() {
    try (Outbox outbox = open()) {
      List<dev.outpost.edge.NewRecord> batch = new ArrayList<>();
      for (int i = 0; i < 3000; i++) {
        String topic = i < 2000 ? "busy" : (i % 2 == 0 ? "x" : "y");
        batch.add(new dev.outpost.edge.NewRecord(topic, bytes("r" + i), Priority.NORMAL));
      }
      outbox.appendAll(batch);
      Set<Lane> busy = Set.of(new Lane("busy", Priority.NORMAL));
      List<Long> x = new ArrayList<>();
      List<Long> y = new ArrayList<>();
      for (int round = 0; round < 20; round++) {
        Lease lease = outbox.lease(new LeaseRequest(128, Long.MAX_VALUE, Priority.LOW, busy, Duration.ofMinutes(1)));
        if (lease.isEmpty()) {
          break;
        }
        for (Message m : lease.messages()) {
          assertThat(m.topic()).isNotEqualTo("busy");
          (m.topic().equals("x") ? x : y).add(m.seq());
        }
      }
      assertThat(x).hasSize(500).isSorted();
      assertThat(y).hasSize(500).isSorted();
      assertThat(outbox.lease(LeaseRequest.of(5)).seqs()).containsExactly(1L, 2L, 3L, 4L, 5L);
    }
  }

  @Test
  void concurrentProducersAndADrainingConsumerDeliverEachRecordOnceInLaneOrder() throws Exception {
    int producers = 4;
    int each = 1000;
    try (Outbox outbox = open()) {
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < producers; t++) {
        int id = t;
        Thread th = new Thread(() -> {
          for (int i = 0; i < each; i++) {
            outbox.appendAsync("p" + id, bytes(id + ":" + i), Priority.values()[i % 4], Map.of());
          }
        });
        threads.add(th);
        th.start();
      }
      Map<Lane, Long> lastSeqByLane = new HashMap<>();
      Set<Long> seen = new java.util.HashSet<>();
      for (int round = 0; round < 10_000 && seen.size() < producers * each; round++) {
        Lease lease = outbox.lease(LeaseRequest.of(200));
        for (Message m : lease.messages()) {
          assertThat(seen.add(m.seq())).as("seq %d leased twice", m.seq()).isTrue();
          Long before = lastSeqByLane.put(new Lane(m.topic(), m.priority()), m.seq());
          assertThat(before == null || before < m.seq()).as("FIFO in lane of %s", m).isTrue();
        }
        outbox.ack(lease.seqs());
      }
      for (Thread th : threads) {
        th.join();
      }
      assertThat(seen).hasSize(producers * each);
      assertThat(outbox.stats().pendingTotal()).isZero();
      assertThat(outbox.stats().inFlight()).isZero();
    }
  }

  @Test
  void statsCountPendingAndInFlightPerPriority() {
    try (Outbox outbox = open()) {
      outbox.append("t", new byte[10], Priority.CRITICAL);
      outbox.append("t", new byte[20], Priority.LOW);
      outbox.append("t", new byte[30], Priority.LOW);
      clock.advance(Duration.ofSeconds(7));
      var stats = outbox.stats();
      assertThat(stats.pendingCount()).containsEntry(Priority.CRITICAL, 1L).containsEntry(Priority.LOW, 2L)
          .containsEntry(Priority.HIGH, 0L);
      assertThat(stats.pendingBytes()).containsEntry(Priority.LOW, 50L);
      assertThat(stats.oldestPendingAgeMillis()).isEqualTo(7000);
      outbox.lease(LeaseRequest.of(1));
      assertThat(outbox.stats().inFlight()).isEqualTo(1);
      assertThat(outbox.stats().pendingCount()).containsEntry(Priority.CRITICAL, 0L);
    }
  }
}
