package dev.outpost.edge.internal;

import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.edge.Lane;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lease, ack, reject and release as work inside a write transaction. A lease marks rows
 * {@code state = 1} with a deadline and reads at most {@code maxRecords} rows through the
 * {@code (state, priority, seq)} index, so its memory is bounded by the request, never by the
 * backlog. Within a priority, rows come in seq order; when lanes of that priority are excluded,
 * the remaining lanes are taken one after another (by topic), each in seq order, through the
 * {@code (state, priority, topic, seq)} index: FIFO within a lane holds either way. Leases past their deadline go back to pending on the next lease or housekeeping;
 * at open every leased row is pending again (see {@link SqliteOutbox}).
 *
 * <p>Used under {@code CommitLoop.commitLock} (the writer thread or a direct committer).
 */
final class Deliveries {
  private static final Logger log = LoggerFactory.getLogger(Deliveries.class);
  private static final int MAX_LANES_PER_LEASE = 10_000;
  private static final String COLUMNS = "SELECT seq, topic, ts, headers, payload, attempts FROM records";
  private static final String BY_SEQ =
      COLUMNS + " INDEXED BY records_drain WHERE state = 0 AND priority = ? ORDER BY seq LIMIT ?";
  private static final String BY_LANE = COLUMNS
      + " INDEXED BY records_lane WHERE state = 0 AND priority = ? AND topic = ? ORDER BY seq LIMIT ?";
  private static final String NEXT_LANE = "SELECT topic FROM records INDEXED BY records_lane"
      + " WHERE state = 0 AND priority = ? AND topic > ? ORDER BY topic LIMIT 1";
  private static final String TAKE =
      "UPDATE records SET state = 1, lease_until = ?, attempts = attempts + 1 WHERE seq = ?";
  private static final String DELETE =
      "DELETE FROM records WHERE seq = ? RETURNING state, priority, length(payload)";
  private static final String STATE = "SELECT state, priority, length(payload) FROM records WHERE seq = ?";
  private static final String KEEP = "UPDATE records SET state = 2, lease_until = ? WHERE seq = ?";
  private static final String RELEASE = "UPDATE records SET state = 0, lease_until = 0"
      + " WHERE seq = ? AND state = 1 RETURNING priority, length(payload)";
  private static final String TO_DEAD = "INSERT INTO dead_letters"
      + " (seq, topic, priority, ts, headers, payload, reason, attempts, dead_at)"
      + " SELECT seq, topic, priority, ts, headers, payload, ?, attempts, ? FROM records"
      + " WHERE seq = ? AND state <> 2";
  private static final String TIMED_OUT = "UPDATE records SET state = 0, lease_until = 0"
      + " WHERE state = 1 AND lease_until <= ? RETURNING priority, length(payload)";

  private final long epoch;
  private final boolean retainAcked;
  private final String store;
  private long earliestDeadline = Long.MAX_VALUE;

  Deliveries(long epoch, boolean retainAcked, String store) {
    this.epoch = epoch;
    this.retainAcked = retainAcked;
    this.store = store;
  }

  Lease lease(Txn txn, LeaseRequest req) throws SQLException {
    requeueTimedOut(txn);
    Batch batch = new Batch(req);
    for (int rank = 0; rank <= req.lowestPriority().rank() && !batch.full; rank++) {
      Set<String> excluded = new HashSet<>();
      for (Lane lane : req.excludedLanes()) {
        if (lane.priority().rank() == rank) {
          excluded.add(lane.topic());
        }
      }
      if (excluded.isEmpty()) {
        PreparedStatement q = txn.prepare(BY_SEQ);
        q.setInt(1, rank);
        q.setInt(2, batch.room());
        batch.read(txn, q, rank);
      } else {
        leaseAroundExcluded(txn, batch, rank, excluded);
      }
    }
    if (!batch.messages.isEmpty()) {
      long deadline = txn.now + req.leaseTimeout().toMillis();
      PreparedStatement take = txn.prepare(TAKE);
      for (Message m : batch.messages) {
        take.setLong(1, deadline);
        take.setLong(2, m.seq());
        take.addBatch();
      }
      take.executeBatch();
      earliestDeadline = Math.min(earliestDeadline, deadline);
    }
    return new Lease(epoch, batch.messages, batch.attempts.stream().mapToInt(Integer::intValue).toArray());
  }

  /**
   * With lanes excluded, walks the other lanes of the priority one by one through the
   * {@code records_lane} index (one seek per lane), so an excluded lane's backlog is never scanned.
   */
  private static void leaseAroundExcluded(Txn txn, Batch batch, int rank, Set<String> excluded)
      throws SQLException {
    String topic = "";
    for (int lanes = 0; lanes < MAX_LANES_PER_LEASE && !batch.full; lanes++) {
      PreparedStatement next = txn.prepare(NEXT_LANE);
      next.setInt(1, rank);
      next.setString(2, topic);
      try (ResultSet rs = next.executeQuery()) {
        if (!rs.next()) {
          return;
        }
        topic = rs.getString(1);
      }
      if (!excluded.contains(topic)) {
        PreparedStatement q = txn.prepare(BY_LANE);
        q.setInt(1, rank);
        q.setString(2, topic);
        q.setInt(3, batch.room());
        batch.read(txn, q, rank);
      }
    }
  }

  /** The records of one lease, filled up to the request's count and byte limits. */
  private static final class Batch {
    final List<Message> messages = new ArrayList<>();
    final List<Integer> attempts = new ArrayList<>();
    final LeaseRequest req;
    long bytes;
    boolean full;

    Batch(LeaseRequest req) {
      this.req = req;
    }

    int room() {
      return req.maxRecords() - messages.size();
    }

    /** Adds rows (seq, topic, ts, headers, payload, attempts) until a limit is hit. */
    void read(Txn txn, PreparedStatement q, int rank) throws SQLException {
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          byte[] payload = rs.getBytes(5);
          if (!messages.isEmpty() && bytes + payload.length > req.maxBytes()) {
            full = true;
            return;
          }
          bytes += payload.length;
          messages.add(new Message(rs.getLong(1), rs.getString(2), Priority.ofRank(rank), rs.getLong(3),
              HeaderCodec.decode(rs.getBytes(4)), payload));
          attempts.add(rs.getInt(6));
          txn.delta.pending(rank, -1, -payload.length);
          txn.delta.inFlight++;
        }
      }
      full |= room() == 0;
    }
  }

  /** Leases whose deadline passed become pending again; cheap when none can have passed. */
  int requeueTimedOut(Txn txn) throws SQLException {
    if (txn.now < earliestDeadline) {
      return 0;
    }
    int n = 0;
    PreparedStatement p = txn.prepare(TIMED_OUT);
    p.setLong(1, txn.now);
    try (ResultSet rs = p.executeQuery()) {
      while (rs.next()) {
        txn.delta.pending(rs.getInt(1), 1, rs.getLong(2));
        txn.delta.inFlight--;
        n++;
      }
    }
    PreparedStatement next = txn.prepare("SELECT min(lease_until) FROM records WHERE state = 1");
    try (ResultSet rs = next.executeQuery()) {
      long min = rs.next() ? rs.getLong(1) : 0;
      earliestDeadline = rs.wasNull() || min == 0 ? Long.MAX_VALUE : min;
    }
    if (n > 0) {
      log.info("Outbox {}: {} leased records timed out and are pending again", store, n);
    }
    return n;
  }

  int ack(Txn txn, Collection<Long> seqs) throws SQLException {
    int n = 0;
    for (long seq : seqs) {
      if (retainAcked) {
        PreparedStatement st = txn.prepare(STATE);
        st.setLong(1, seq);
        try (ResultSet rs = st.executeQuery()) {
          if (!rs.next() || rs.getInt(1) == Schema.ACKED) {
            continue;
          }
          txn.delta.leave(rs.getInt(1), rs.getInt(2), rs.getLong(3));
        }
        PreparedStatement keep = txn.prepare(KEEP);
        keep.setLong(1, txn.now);
        keep.setLong(2, seq);
        keep.executeUpdate();
        txn.delta.retained++;
        n++;
      } else if (delete(txn, seq)) {
        n++;
      }
    }
    return n;
  }

  private boolean delete(Txn txn, long seq) throws SQLException {
    PreparedStatement del = txn.prepare(DELETE);
    del.setLong(1, seq);
    try (ResultSet rs = del.executeQuery()) {
      if (!rs.next()) {
        return false;
      }
      txn.delta.leave(rs.getInt(1), rs.getInt(2), rs.getLong(3));
      txn.deletedRows = true;
      return true;
    }
  }

  int reject(Txn txn, Map<Long, String> reasons) throws SQLException {
    int n = 0;
    String firstReason = null;
    PreparedStatement dead = txn.prepare(TO_DEAD);
    for (Map.Entry<Long, String> e : reasons.entrySet()) {
      dead.setString(1, e.getValue());
      dead.setLong(2, txn.now);
      dead.setLong(3, e.getKey());
      if (dead.executeUpdate() == 1 && delete(txn, e.getKey())) {
        txn.delta.deadLetters++;
        txn.delta.deadLettered++;
        firstReason = firstReason == null ? e.getValue() : firstReason;
        n++;
      }
    }
    if (n > 0) {
      log.warn("Outbox {}: {} records moved to dead letters (first reason: {})", store, n, firstReason);
    }
    return n;
  }

  int release(Txn txn, Collection<Long> seqs) throws SQLException {
    int n = 0;
    PreparedStatement p = txn.prepare(RELEASE);
    for (long seq : seqs) {
      p.setLong(1, seq);
      try (ResultSet rs = p.executeQuery()) {
        if (rs.next()) {
          txn.delta.pending(rs.getInt(1), 1, rs.getLong(2));
          txn.delta.inFlight--;
          n++;
        }
      }
    }
    return n;
  }
}
