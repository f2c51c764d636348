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
 * Lease, ack, reject and release as work inside a write transaction. Leases live in memory
 * ({@link LeaseTable}): a lease reads at most the requested rows through the
 * {@code (state, priority, seq)} index, starting at the priority's scan cursor and skipping seqs
 * still held by a live lease, and writes nothing to disk. Within a priority, rows come in seq
 * order, so FIFO within a lane holds. When lanes of that priority are excluded, the same index
 * is scanned in seq order, reading only (seq, topic) per row, and rows of an excluded topic are
 * stepped over: an excluded lane's backlog is scanned over, at a cost proportional to the rows
 * skipped (there is no index by topic: it cost each acked record about 1.1 µs). That scan is
 * bounded per lease call ({@link #scanLimit}); a lease that reaches the bound returns what it
 * found, possibly nothing, and leases nothing less urgent than where it stopped.
 *
 * <p>An ack deletes (or, with retention, marks acked) the leased seqs with one statement per
 * contiguous seq run; seqs not held by a live lease (acked after their lease timed out) go one
 * by one, and a seq already gone is a no-op.
 *
 * <p>Leases past their deadline become pending again on the next lease or housekeeping; a lease
 * that ends without an ack (timeout, release) adds one to the row's {@code attempts} on disk, so
 * {@code attempts} counts the earlier leases that did not end in an ack or a crash. A restart
 * starts with no leases: every row is pending again.
 *
 * <p>Used under the writer's lock ({@code CommitLoop}'s {@code SingleWriter}) (the writer thread or a direct committer).
 */
final class Deliveries {
  private static final Logger log = LoggerFactory.getLogger(Deliveries.class);
  /**
   * Fewest rows a lease call with excluded lanes may examine (leased, excluded or taken) before
   * it stops, so the writer's pause per lease call is bounded however long an excluded lane's
   * backlog is (each row is an index step and a table lookup for its topic).
   */
  static final long MIN_SCAN_ROWS = 100_000;
  private static final String COLUMNS = "SELECT seq, topic, ts, headers, payload, attempts FROM records";
  private static final String BY_SEQ =
      COLUMNS + " INDEXED BY records_drain WHERE state = 0 AND priority = ? AND seq >= ? ORDER BY seq";
  /** The excluded-lane scan: the topic only (an early column, no payload pages read). */
  private static final String TOPICS_BY_SEQ = "SELECT seq, topic FROM records"
      + " INDEXED BY records_drain WHERE state = 0 AND priority = ? AND seq >= ? ORDER BY seq";
  private static final String ONE = COLUMNS + " WHERE seq = ?";
  private static final String DELETE_RUN = "DELETE FROM records WHERE seq BETWEEN ? AND ?";
  private static final String KEEP_RUN = "UPDATE records SET state = 2, lease_until = ? WHERE seq BETWEEN ? AND ?";
  private static final String DELETE =
      "DELETE FROM records WHERE seq = ? RETURNING state, priority, size";
  private static final String DELETE_ONE = "DELETE FROM records WHERE seq = ?";
  private static final String STATE = "SELECT state, priority, size FROM records WHERE seq = ?";
  private static final String KEEP = "UPDATE records SET state = 2, lease_until = ? WHERE seq = ?";
  private static final String COUNT_ATTEMPT = "UPDATE records SET attempts = attempts + 1 WHERE seq = ?";
  private static final String TO_DEAD = "INSERT INTO dead_letters"
      + " (seq, topic, priority, ts, headers, payload, reason, attempts, dead_at)"
      + " SELECT seq, topic, priority, ts, headers, payload, ?, attempts + ?, ? FROM records"
      + " WHERE seq = ? AND state <> 2";

  private final long epoch;
  private final boolean retainAcked;
  private final String store;
  private final LeaseTable leases;
  private final long minScanRows;
  /** Records acked since open (under the writer's lock); housekeeping reads the drain's pace from it. */
  private long acked;

  Deliveries(long epoch, boolean retainAcked, String store, LeaseTable leases) {
    this(epoch, retainAcked, store, leases, MIN_SCAN_ROWS);
  }

  /** With a smaller scan bound than {@link #MIN_SCAN_ROWS}: tests only. */
  Deliveries(long epoch, boolean retainAcked, String store, LeaseTable leases, long minScanRows) {
    this.epoch = epoch;
    this.retainAcked = retainAcked;
    this.store = store;
    this.leases = leases;
    this.minScanRows = minScanRows;
  }

  /** Most rows one lease call with excluded lanes examines: 16 per record asked for, or more. */
  long scanLimit(int maxRecords) {
    return Math.max(16L * maxRecords, minScanRows);
  }

  Lease lease(Txn txn, LeaseRequest req) throws SQLException {
    requeueTimedOut(txn);
    Batch batch = new Batch(req, leases, scanLimit(req.maxRecords()));
    for (int rank = 0; rank <= req.lowestPriority().rank() && !batch.done(); rank++) {
      Set<String> excluded = new HashSet<>();
      for (Lane lane : req.excludedLanes()) {
        if (lane.priority().rank() == rank) {
          excluded.add(lane.topic());
        }
      }
      if (excluded.isEmpty()) {
        PreparedStatement q = txn.prepare(BY_SEQ);
        q.setInt(1, rank);
        q.setLong(2, leases.scanFrom(rank));
        leases.advance(txn, rank, batch.read(q, rank, leases.scanFrom(rank)));
      } else {
        leaseAroundExcluded(txn, batch, rank, excluded);
      }
    }
    int n = batch.messages.size();
    if (n > 0) {
      long[] seqs = new long[n];
      for (int i = 0; i < n; i++) {
        seqs[i] = batch.messages.get(i).seq();
      }
      int[] ranks = batch.ranks();
      long[] sizes = batch.sizes();
      for (int i = 0; i < n; i++) {
        txn.delta.pending(ranks[i], -1, -sizes[i]);
      }
      txn.delta.inFlight += n;
      leases.hold(txn, txn.now + req.leaseTimeout().toMillis(), seqs, ranks, sizes);
    }
    return new Lease(epoch, batch.messages, batch.attempts());
  }

  /**
   * With lanes of {@code rank} excluded: the seq-order scan from the cursor, reading the whole
   * row only for records taken, stepping over leased seqs and excluded topics until the batch is
   * full, the rows run out or the lease call's scan budget is spent. Excluded rows are pending,
   * so the cursor advances only over the rows before the first of them (all leased by then).
   */
  private void leaseAroundExcluded(Txn txn, Batch batch, int rank, Set<String> excluded)
      throws SQLException {
    long resume = leases.scanFrom(rank);
    boolean pendingBehind = false;
    PreparedStatement q = txn.prepare(TOPICS_BY_SEQ);
    q.setInt(1, rank);
    q.setLong(2, resume);
    try (ResultSet rs = q.executeQuery()) {
      while (!batch.done() && rs.next()) {
        if (batch.scanned++ == batch.scanLimit) {
          batch.outOfScan = true;
          break;
        }
        long seq = rs.getLong(1);
        if (!leases.isLeased(seq)) {
          if (excluded.contains(rs.getString(2))) {
            pendingBehind = true;
          } else if (!takeOne(txn, batch, rank, seq)) {
            break;
          }
        }
        if (!pendingBehind) {
          resume = seq + 1;
        }
      }
    }
    leases.advance(txn, rank, resume);
  }

  /** Reads row {@code seq} whole into the batch; false when it did not fit (the batch is full). */
  private static boolean takeOne(Txn txn, Batch batch, int rank, long seq) throws SQLException {
    PreparedStatement one = txn.prepare(ONE);
    one.setLong(1, seq);
    try (ResultSet rs = one.executeQuery()) {
      // the scan just saw the row in this transaction, so it is there; were it not, nothing to take
      return !rs.next() || batch.take(rs, rank, seq);
    }
  }

  /** The records of one lease, filled up to the request's count and byte limits. */
  private static final class Batch {
    final List<Message> messages = new ArrayList<>();
    final IntList attempts = new IntList();
    final IntList ranks = new IntList();
    final LeaseRequest req;
    final LeaseTable leases;
    /** Rows excluded-lane scans may examine in this lease call, and how many they did. */
    final long scanLimit;
    long scanned;
    long bytes;
    boolean full;
    boolean outOfScan;

    Batch(LeaseRequest req, LeaseTable leases, long scanLimit) {
      this.req = req;
      this.leases = leases;
      this.scanLimit = scanLimit;
    }

    /** Full, or the scan budget is spent: nothing more is leased (not even less urgent rows). */
    boolean done() {
      return full || outOfScan;
    }

    int room() {
      return req.maxRecords() - messages.size();
    }

    int[] attempts() {
      return attempts.toArray();
    }

    int[] ranks() {
      return ranks.toArray();
    }

    long[] sizes() {
      long[] b = new long[messages.size()];
      for (int i = 0; i < b.length; i++) {
        b[i] = messages.get(i).payload().length;
      }
      return b;
    }

    /**
     * Adds rows (seq, topic, ts, headers, payload, attempts) in seq order, skipping seqs a live
     * lease holds, until a limit is hit or the rows run out. Returns the seq a later scan of this
     * priority may start at: every pending row below it is now leased.
     */
    long read(PreparedStatement q, int rank, long from) throws SQLException {
      long resume = from;
      try (ResultSet rs = q.executeQuery()) {
        while (!full && rs.next()) {
          long seq = rs.getLong(1);
          if (!leases.isLeased(seq) && !take(rs, rank, seq)) {
            return seq;
          }
          resume = seq + 1;
        }
      }
      return resume;
    }

    /**
     * Adds the row at {@code rs} (seq, topic, ts, headers, payload, attempts) unless its payload
     * would pass the byte limit: then the batch is full and nothing is added (false).
     */
    boolean take(ResultSet rs, int rank, long seq) throws SQLException {
      byte[] payload = rs.getBytes(5);
      if (!messages.isEmpty() && bytes + payload.length > req.maxBytes()) {
        full = true;
        return false;
      }
      bytes += payload.length;
      messages.add(new Message(seq, rs.getString(2), Priority.ofRank(rank), rs.getLong(3),
          HeaderCodec.decode(rs.getBytes(4)), payload));
      attempts.add(rs.getInt(6));
      ranks.add(rank);
      full = room() == 0;
      return true;
    }
  }

  /** A growable int array (no boxing per leased record). */
  private static final class IntList {
    int[] values = new int[64];
    int size;

    void add(int v) {
      if (size == values.length) {
        values = java.util.Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    int[] toArray() {
      return java.util.Arrays.copyOf(values, size);
    }
  }

  /** Leases whose deadline passed become pending again; cheap when none can have passed. */
  int requeueTimedOut(Txn txn) throws SQLException {
    if (txn.now < leases.earliestDeadline()) {
      return 0;
    }
    List<LeaseTable.Held> back = leases.expire(txn, txn.now);
    pendingAgain(txn, back);
    if (!back.isEmpty()) {
      log.info("Outbox {}: {} leased records timed out and are pending again", store, back.size());
    }
    return back.size();
  }

  /** Counts records whose lease ended without an ack as pending again, one attempt more. */
  private void pendingAgain(Txn txn, List<LeaseTable.Held> back) throws SQLException {
    if (back.isEmpty()) {
      return;
    }
    PreparedStatement attempt = txn.prepare(COUNT_ATTEMPT);
    for (LeaseTable.Held h : back) {
      txn.delta.pending(h.rank(), 1, h.bytes());
      txn.delta.inFlight--;
      leases.pendingAgain(txn, h.rank(), h.seq());
      attempt.setLong(1, h.seq());
      attempt.addBatch();
    }
    attempt.executeBatch();
  }

  int ack(Txn txn, Collection<Long> seqs) throws SQLException {
    long[] sorted = seqs.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
    List<Long> notLeased = new ArrayList<>();
    PreparedStatement runs = txn.prepare(retainAcked ? KEEP_RUN : DELETE_RUN);
    int leased = 0;
    long runStart = 0;
    long runEnd = -1;
    for (long seq : sorted) {
      if (leases.drop(txn, seq) == null) {
        notLeased.add(seq);
        continue;
      }
      leased++;
      if (seq != runEnd + 1 || runEnd < runStart) {
        addRun(txn, runs, runStart, runEnd);
        runStart = seq;
      }
      runEnd = seq;
    }
    addRun(txn, runs, runStart, runEnd);
    int n = 0;
    if (leased > 0) {
      for (int c : runs.executeBatch()) {
        n += Math.max(0, c);
      }
      txn.delta.inFlight -= leased;
      if (retainAcked) {
        txn.delta.retained += n;
      } else {
        txn.deletedRows |= n > 0;
      }
    }
    for (long seq : notLeased) {
      if (retainAcked ? keep(txn, seq) : delete(txn, seq)) {
        n++;
      }
    }
    acked += n; // a pace, not a count: a rolled-back ack leaves it a little high
    return n;
  }

  long ackedSinceOpen() {
    return acked;
  }

  /** Adds the run [start, end] of leased seqs to the batch (nothing when the run is empty). */
  private void addRun(Txn txn, PreparedStatement runs, long start, long end) throws SQLException {
    if (end < start) {
      return;
    }
    int i = 1;
    if (retainAcked) {
      runs.setLong(i++, txn.now);
    }
    runs.setLong(i++, start);
    runs.setLong(i, end);
    runs.addBatch();
  }

  /** Retention: marks one row not held by a live lease acked; false if gone or already acked. */
  private static boolean keep(Txn txn, long seq) throws SQLException {
    PreparedStatement st = txn.prepare(STATE);
    st.setLong(1, seq);
    try (ResultSet rs = st.executeQuery()) {
      if (!rs.next() || rs.getInt(1) == Schema.ACKED) {
        return false;
      }
      txn.delta.leave(rs.getInt(1), rs.getInt(2), rs.getLong(3));
    }
    PreparedStatement keep = txn.prepare(KEEP);
    keep.setLong(1, txn.now);
    keep.setLong(2, seq);
    keep.executeUpdate();
    txn.delta.retained++;
    return true;
  }

  /** Deletes one row not held by a live lease, counting it out of its state; false if gone. */
  private static boolean delete(Txn txn, long seq) throws SQLException {
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
    PreparedStatement gone = txn.prepare(DELETE_ONE);
    for (Map.Entry<Long, String> e : reasons.entrySet()) {
      long seq = e.getKey();
      boolean leased = leases.drop(txn, seq) != null;
      dead.setString(1, e.getValue());
      dead.setInt(2, leased ? 1 : 0);
      dead.setLong(3, txn.now);
      dead.setLong(4, seq);
      if (leased) {
        txn.delta.inFlight--;
      }
      boolean moved = dead.executeUpdate() == 1;
      if (moved && (leased ? deleteOne(gone, seq) : delete(txn, seq))) {
        txn.deletedRows = true;
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

  private static boolean deleteOne(PreparedStatement gone, long seq) throws SQLException {
    gone.setLong(1, seq);
    return gone.executeUpdate() == 1;
  }

  int release(Txn txn, Collection<Long> seqs) throws SQLException {
    List<LeaseTable.Held> back = new ArrayList<>();
    for (long seq : seqs) {
      LeaseTable.Held h = leases.drop(txn, seq);
      if (h != null) {
        back.add(h);
      }
    }
    pendingAgain(txn, back);
    return back.size();
  }

  /**
   * Deletes the given rows (pending rows housekeeping or eviction chose, never leased ones) in
   * one batch; returns how many were deleted.
   */
  static int deleteRows(Txn txn, long[] seqs, int count) throws SQLException {
    if (count == 0) {
      return 0;
    }
    PreparedStatement p = txn.prepare(DELETE_ONE);
    for (int i = 0; i < count; i++) {
      p.setLong(1, seqs[i]);
      p.addBatch();
    }
    int n = 0;
    for (int c : p.executeBatch()) {
      n += Math.max(0, c);
    }
    txn.deletedRows |= n > 0;
    return n;
  }
}
