package dev.outpost.edge.internal;

import static dev.outpost.edge.internal.DurabilityIdentityTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxStorageException;
import dev.outpost.edge.OutboxStats;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases held in memory ({@link LeaseTable}): timeouts, stale acks, rollback, restart. */
class InMemoryLeaseTest {
  @TempDir Path dir;
  final TestClock clock = new TestClock();

  Outbox open() {
    return Outbox.open(dir, OutboxConfig.builder().clock(clock).build());
  }

  static LeaseRequest lease(int n, Duration timeout) {
    return new LeaseRequest(n, Long.MAX_VALUE, Priority.LOW, Set.of(), timeout);
  }

  @Test
  void anAckFromATimedOutLeaseDeletesTheReleasedRecordAndTheNewLeasesAckIsANoOp() {
    try (Outbox outbox = open()) {
      for (int i = 0; i < 6; i++) {
        outbox.append("t", bytes("r" + i), Priority.NORMAL);
      }
      Lease first = outbox.lease(lease(3, Duration.ofSeconds(10)));
      clock.advance(Duration.ofSeconds(10));
      Lease second = outbox.lease(lease(2, Duration.ofSeconds(10)));
      assertThat(second.seqs()).containsExactly(1L, 2L);
      assertThat(second.attempts()).containsExactly(1, 1);
      assertThat(outbox.stats().inFlight()).isEqualTo(2);

      outbox.ack(first.seqs()); // the server holds 1..3: deleting them is right
      OutboxStats s = outbox.stats();
      assertThat(s.inFlight()).isZero();
      assertThat(s.pendingTotal()).isEqualTo(3);
      outbox.ack(second.seqs()); // already gone
      outbox.release(second.seqs()); // not held any more
      assertThat(outbox.stats().inFlight()).isZero();
      assertThat(outbox.stats().pendingTotal()).isEqualTo(3);
      assertThat(outbox.lease(lease(10, Duration.ofSeconds(10))).seqs()).containsExactly(4L, 5L, 6L);
    }
  }

  @Test
  void aTimedOutLeaseGivesBackOnlyItsUnackedRecordsInSeqOrder() {
    try (Outbox outbox = open()) {
      for (int i = 0; i < 8; i++) {
        outbox.append("t", bytes("r" + i), Priority.HIGH);
      }
      Lease lease = outbox.lease(lease(5, Duration.ofSeconds(5)));
      outbox.ack(List.of(2L, 4L));
      Lease later = outbox.lease(lease(2, Duration.ofSeconds(60)));
      assertThat(later.seqs()).containsExactly(6L, 7L);
      clock.advance(Duration.ofSeconds(6));
      outbox.housekeep();
      assertThat(outbox.stats().inFlight()).isEqualTo(2);
      assertThat(outbox.stats().pendingTotal()).isEqualTo(4);
      Lease again = outbox.lease(lease(10, Duration.ofSeconds(60)));
      assertThat(again.seqs()).containsExactly(1L, 3L, 5L, 8L);
      assertThat(again.attempts()).containsExactly(1, 1, 1, 0);
      assertThat(lease.size()).isEqualTo(5);
    }
  }

  @Test
  void aLeasedRecordIsNotExpiredByItsTtlWhileInFlight() {
    try (Outbox outbox = open()) {
      outbox.appendAll(List.of(
          new dev.outpost.edge.NewRecord("t", bytes("a"), Priority.NORMAL, Map.of(), Duration.ofSeconds(5)),
          new dev.outpost.edge.NewRecord("t", bytes("b"), Priority.NORMAL, Map.of(), Duration.ofSeconds(5))));
      assertThat(outbox.lease(lease(1, Duration.ofMinutes(5))).seqs()).containsExactly(1L);
      clock.advance(Duration.ofSeconds(6));
      outbox.housekeep();
      OutboxStats s = outbox.stats();
      assertThat(s.expired()).isEqualTo(1);
      assertThat(s.inFlight()).isEqualTo(1);
      assertThat(s.pendingTotal()).isZero();
      outbox.ack(List.of(1L));
      assertThat(outbox.stats().inFlight()).isZero();
    }
  }

  @Test
  void lowEvictionSkipsLeasedRecordsAndEvictsTheOldestPendingOnes() {
    OutboxConfig config = OutboxConfig.builder().budgetBytes(1 << 20).evictLowWhenFull(true).build();
    try (Outbox outbox = Outbox.open(dir, config)) {
      int low = BudgetEvictionTest.fill(outbox, Priority.LOW, 400);
      Lease held = outbox.lease(lease(50, Duration.ofMinutes(5)));
      assertThat(held.seqs()).containsExactlyElementsOf(
          java.util.stream.LongStream.rangeClosed(1, 50).boxed().toList());
      BudgetEvictionTest.fill(outbox, Priority.CRITICAL, 2000); // past the budget: LOW goes
      OutboxStats s = outbox.stats();
      assertThat(s.evicted()).isPositive();
      assertThat(s.inFlight()).isEqualTo(50);
      assertThat(s.pendingCount().get(Priority.LOW) + s.evicted()).isEqualTo(low - 50L);
      Lease rest = outbox.lease(lease(1000, Duration.ofMinutes(5)));
      List<Long> lowLeft = rest.messages().stream().filter(m -> m.priority() == Priority.LOW)
          .map(Message::seq).toList();
      assertThat(lowLeft).allMatch(seq -> seq > 50 + s.evicted()); // the oldest pending went first
      outbox.ack(held.seqs()); // nothing of the held lease was evicted
      assertThat(outbox.stats().inFlight()).isEqualTo(rest.size());
    }
  }

  @Test
  void aLeaseWhoseCommitFailsLeavesNothingLeased() {
    AtomicBoolean broken = new AtomicBoolean();
    CommitLoop.CommitFault fault = records -> {
      if (broken.get()) {
        throw new SQLException("[SQLITE_IOERR] disk I/O error (injected)", "58030", 10);
      }
    };
    try (Outbox outbox = SqliteOutbox.open(dir, OutboxConfig.builder().clock(clock).build(), fault)) {
      for (int i = 0; i < 4; i++) {
        outbox.append("t", bytes("r" + i), Priority.NORMAL);
      }
      Lease held = outbox.lease(lease(2, Duration.ofMinutes(1)));
      broken.set(true);
      assertThatThrownBy(() -> outbox.lease(lease(10, Duration.ofMinutes(1))))
          .isInstanceOf(OutboxStorageException.class);
      assertThatThrownBy(() -> outbox.ack(held.seqs())).isInstanceOf(OutboxStorageException.class);
      broken.set(false);
      assertThat(outbox.stats().inFlight()).isEqualTo(2);
      assertThat(outbox.lease(lease(10, Duration.ofMinutes(1))).seqs()).containsExactly(3L, 4L);
      outbox.ack(held.seqs());
      assertThat(outbox.stats().inFlight()).isEqualTo(2);
      assertThat(outbox.stats().pendingTotal()).isZero();
    }
  }

  /**
   * Seeded random runs against a model: every lease returns exactly the first pending records
   * by (priority, seq), a record is never held by two live leases, acks of stale or unknown seqs
   * are harmless, and the counts match after every step, across restarts.
   */
  @Test
  void randomLeaseAckReleaseTimeoutAndRestartMatchTheModel() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    Map<Long, Integer> rankOf = new HashMap<>(); // records in the store
    Map<Long, Long> leasedUntil = new HashMap<>(); // seq -> deadline of the live lease holding it
    List<List<Long>> leases = new ArrayList<>();
    Outbox outbox = open();
    try {
      for (int step = 0; step < 400; step++) {
        int op = random.nextInt(10);
        if (op < 3) {
          Priority p = Priority.values()[random.nextInt(4)];
          int n = 1 + random.nextInt(20);
          List<dev.outpost.edge.NewRecord> batch = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            batch.add(new dev.outpost.edge.NewRecord("t" + random.nextInt(3), bytes("s" + step), p));
          }
          for (long seq : outbox.appendAll(batch)) {
            rankOf.put(seq, p.rank());
          }
        } else if (op < 6) {
          long now = clock.millis();
          leasedUntil.values().removeIf(deadline -> deadline <= now);
          int n = 1 + random.nextInt(30);
          Duration timeout = Duration.ofSeconds(1 + random.nextInt(20));
          List<Long> expected = rankOf.keySet().stream().filter(s -> !leasedUntil.containsKey(s))
              .sorted(Comparator.comparing((Long s) -> rankOf.get(s)).thenComparing(s -> s))
              .limit(n).toList();
          Lease lease = outbox.lease(lease(n, timeout));
          assertThat(lease.seqs()).as("seed %d step %d", seed, step).containsExactlyElementsOf(expected);
          for (Message m : lease.messages()) {
            leasedUntil.put(m.seq(), now + timeout.toMillis());
          }
          leases.add(lease.seqs());
          assertThat(outbox.stats().inFlight()).as("seed %d step %d", seed, step).isEqualTo(leasedUntil.size());
        } else if (op < 8 && !leases.isEmpty()) {
          List<Long> some = pick(random, leases.get(random.nextInt(leases.size())));
          if (random.nextBoolean()) {
            outbox.ack(some); // may be stale: the lease may have timed out, the record re-leased
            some.forEach(s -> {
              rankOf.remove(s);
              leasedUntil.remove(s);
            });
          } else {
            outbox.release(some);
            some.forEach(leasedUntil::remove);
          }
        } else if (op < 9) {
          clock.advance(Duration.ofMillis(random.nextInt(8000)));
        } else if (random.nextInt(4) == 0) {
          outbox.close();
          outbox = open();
          leasedUntil.clear();
          leases.clear();
        }
        long pending = rankOf.keySet().stream().filter(s -> !leasedUntil.containsKey(s)).count();
        OutboxStats s = outbox.stats();
        if (op >= 3 && op < 6) { // timeouts are applied on lease: counts are exact right after one
          assertThat(s.pendingTotal()).as("seed %d step %d", seed, step).isEqualTo(pending);
        }
        assertThat(s.pendingTotal() + s.inFlight()).as("seed %d step %d", seed, step).isEqualTo(rankOf.size());
      }
    } finally {
      outbox.close();
    }
  }

  private static List<Long> pick(Random random, List<Long> seqs) {
    List<Long> out = new ArrayList<>();
    for (long s : seqs) {
      if (random.nextInt(3) > 0) {
        out.add(s);
      }
    }
    return out;
  }
}
