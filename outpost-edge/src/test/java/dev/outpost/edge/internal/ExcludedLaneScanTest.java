package dev.outpost.edge.internal;

import static dev.outpost.edge.internal.DurabilityIdentityTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.edge.Lane;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leasing around excluded lanes without a lane index: a seq-order scan of the drain index that
 * steps over excluded rows, bounded per lease call; stores that still have the old
 * {@code records_lane} index lose it at open.
 */
class ExcludedLaneScanTest {
  @TempDir Path dir;

  Outbox open() {
    return Outbox.open(dir, OutboxConfig.defaults());
  }

  static LeaseRequest around(int maxRecords, Lane... excluded) {
    return new LeaseRequest(maxRecords, Long.MAX_VALUE, Priority.LOW, Set.of(excluded), Duration.ofMinutes(1));
  }

  @Test
  void anOldLaneIndexIsDroppedAtOpenAndLeasingStillWorks() throws Exception {
    try (Outbox outbox = open()) {
      for (int i = 0; i < 30; i++) {
        outbox.append(i < 10 ? "a" : (i % 2 == 0 ? "b" : "c"), bytes("r" + i), Priority.HIGH);
      }
    }
    assertThat(laneIndexExists()).as("a store made now has no lane index").isFalse();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Schema.DB_FILE));
        Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version = 0"); // a store from before numbered migrations
      s.execute("CREATE INDEX records_lane ON records (state, priority, topic, seq)"); // the old shape
    }
    assertThat(laneIndexExists()).isTrue();

    try (Outbox outbox = open()) {
      assertThat(laneIndexExists()).as("dropped in the opening transaction").isFalse();
      assertThat(outbox.stats().pendingTotal()).isEqualTo(30);
      Lease around = outbox.lease(around(100, new Lane("a", Priority.HIGH)));
      assertThat(around.messages()).extracting(Message::topic).doesNotContain("a");
      assertThat(around.seqs()).hasSize(20).isSorted().first().isEqualTo(11L);
      assertThat(outbox.lease(LeaseRequest.of(100)).seqs())
          .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
      outbox.ack(around.seqs());
    }
    try (Outbox outbox = open()) {
      assertThat(laneIndexExists()).isFalse();
      assertThat(outbox.stats().pendingTotal()).isEqualTo(10);
    }
  }

  @Test
  void theOtherLanesGoFifoMostUrgentFirstWhenTheExcludedBacklogComesFirst() {
    List<NewRecord> batch = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      batch.add(new NewRecord("busy", bytes("b" + i), Priority.CRITICAL)); // seqs 1..300
    }
    for (int i = 0; i < 60; i++) {
      batch.add(new NewRecord(i % 3 == 0 ? "x" : "y", bytes("c" + i), Priority.CRITICAL)); // 301..360
      batch.add(new NewRecord("busy", bytes("n" + i), Priority.NORMAL)); // another lane: not excluded
    }
    Lane busy = new Lane("busy", Priority.CRITICAL);
    try (Outbox outbox = open()) {
      outbox.appendAll(batch);
      List<Message> got = new ArrayList<>();
      for (int round = 0; round < 100; round++) {
        Lease lease = outbox.lease(around(7, busy));
        if (lease.isEmpty()) {
          break;
        }
        assertThat(lease.size()).isLessThanOrEqualTo(7);
        got.addAll(lease.messages());
        if (round == 2) {
          outbox.release(lease.seqs()); // pending again: must come back, in lane order
          got.removeAll(lease.messages());
        }
      }
      assertThat(got).hasSize(120).noneMatch(m -> m.topic().equals("busy") && m.priority() == Priority.CRITICAL);
      for (int i = 1; i < got.size(); i++) {
        assertThat(got.get(i).priority()).isGreaterThanOrEqualTo(got.get(i - 1).priority());
      }
      HashMap<Lane, List<Long>> byLane = new HashMap<>();
      for (Message m : got) {
        byLane.computeIfAbsent(new Lane(m.topic(), m.priority()), k -> new ArrayList<>()).add(m.seq());
      }
      assertThat(byLane.get(new Lane("x", Priority.CRITICAL))).hasSize(20).isSorted();
      assertThat(byLane.get(new Lane("y", Priority.CRITICAL))).hasSize(40).isSorted();
      assertThat(byLane.get(new Lane("busy", Priority.NORMAL))).hasSize(60).isSorted();
      // the excluded backlog was never passed by the cursor: leased without exclusions, it comes first
      Lease rest = outbox.lease(LeaseRequest.of(300));
      assertThat(rest.seqs()).hasSize(300).isSorted().first().isEqualTo(1L);
      assertThat(rest.messages()).allMatch(m -> m.topic().equals("busy") && m.priority() == Priority.CRITICAL);
      assertThat(outbox.stats().pendingTotal()).isZero();
    }
  }

  @Test
  void rowsTakenBeforeTheFirstExcludedRowMoveTheCursorAndNoneAfterIt() throws Exception {
    try (Outbox outbox = open()) {
      for (String topic : List.of("x", "x", "x", "a", "a", "x", "x")) {
        outbox.append(topic, bytes(topic), Priority.NORMAL);
      }
    }
    try (Connection c = StoreFile.connect(dir.resolve(Schema.DB_FILE))) {
      LeaseTable leases = new LeaseTable();
      Deliveries deliveries = new Deliveries(1L, false, "test", leases);
      Txn txn = new Txn(c, 0, new HashMap<>());
      Lane a = new Lane("a", Priority.NORMAL);
      assertThat(deliveries.lease(txn, around(2, a)).seqs()).containsExactly(1L, 2L);
      assertThat(leases.scanFrom(Priority.NORMAL.rank())).isEqualTo(3);
      assertThat(deliveries.lease(txn, around(10, a)).seqs()).containsExactly(3L, 6L, 7L);
      assertThat(leases.scanFrom(Priority.NORMAL.rank())).as("not past the pending seq 4").isEqualTo(4);
      assertThat(deliveries.lease(txn, around(10)).seqs()).containsExactly(4L, 5L);
    }
  }

  @Test
  void theScanIsBoundedAndReturnsAPartialOrEmptyLease() throws Exception {
    try (Outbox outbox = open()) {
      List<NewRecord> batch = new ArrayList<>();
      for (int i = 0; i < 62; i++) {
        batch.add(new NewRecord("busy", bytes("b" + i), Priority.NORMAL)); // seqs 1..62
      }
      for (int i = 0; i < 10; i++) {
        batch.add(new NewRecord("x", bytes("x" + i), Priority.NORMAL)); // 63..72
      }
      batch.add(new NewRecord("y", bytes("y"), Priority.LOW)); // 73
      outbox.appendAll(batch);
    }
    Lane busy = new Lane("busy", Priority.NORMAL);
    assertThat(new Deliveries(1L, false, "test", new LeaseTable()).scanLimit(1))
        .isEqualTo(Deliveries.MIN_SCAN_ROWS);
    assertThat(new Deliveries(1L, false, "test", new LeaseTable()).scanLimit(10_000)).isEqualTo(160_000);
    try (Connection c = StoreFile.connect(dir.resolve(Schema.DB_FILE))) {
      LeaseTable leases = new LeaseTable();
      Deliveries deliveries = new Deliveries(1L, false, "test", leases, 0); // 16 rows per record asked for
      Txn txn = new Txn(c, 0, new HashMap<>());
      // 48 rows examined, all excluded: nothing, and not the LOW record behind them either
      assertThat(deliveries.lease(txn, around(3, busy)).isEmpty()).isTrue();
      // 64 rows: 62 excluded, then 63 and 64 before the bound
      assertThat(deliveries.lease(txn, around(4, busy)).seqs()).containsExactly(63L, 64L);
      // a bound past the backlog: the rest of x, then the LOW record
      assertThat(deliveries.lease(txn, around(100, busy)).seqs())
          .containsExactly(65L, 66L, 67L, 68L, 69L, 70L, 71L, 72L, 73L);
      assertThat(leases.scanFrom(Priority.NORMAL.rank())).as("never past pending busy rows").isZero();
    }
  }

  private boolean laneIndexExists() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Schema.DB_FILE));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'records_lane'")) {
      return rs.next();
    }
  }
}
