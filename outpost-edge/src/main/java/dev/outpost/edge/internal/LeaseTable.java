package dev.outpost.edge.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The records handed out and not yet acked, rejected, released or timed out: kept in memory
 * only. A leased record stays {@code state = 0} on disk, so leasing writes nothing; after a
 * crash or restart the table is empty and every record is pending again, which is what the
 * format promised before (leases never survived a restart).
 *
 * <p>Each lease is a {@link Group} with one deadline; a seq maps to the group holding it, so an
 * ack from a lease that timed out (and whose records were leased again) takes the record out of
 * the newer lease, and the newer lease's later ack finds nothing. Fully settled groups leave the
 * deadline queue at once, so memory is bounded by the records in flight.
 *
 * <p>Scan cursors, one per priority: every record of that priority that is pending on disk with
 * a seq below {@code scanFrom(rank)} is in this table. Leasing starts its index scan there, so it
 * does not walk over the records in flight; anything that makes a record pending again (release,
 * timeout, a dead letter retried) lowers the cursor to it. A cursor may be lower than needed
 * (that costs only a longer scan), never higher.
 *
 * <p>Changes made inside a transaction register undo actions on the {@link Txn}; when the
 * transaction rolls back they run, so the table matches what is committed. Not thread-safe: used
 * only under the writer's lock ({@code CommitLoop}'s {@code SingleWriter}), except {@link #scanFromVolatile} (stats, any thread).
 */
final class LeaseTable {
  /** One leased record: what is needed to make it pending again without reading it. */
  record Held(long seq, int rank, long bytes, Group group) {}

  /** The records of one lease call and their deadline. */
  static final class Group {
    final long deadline;
    final long[] seqs;
    int live;

    Group(long deadline, long[] seqs) {
      this.deadline = deadline;
      this.seqs = seqs;
      this.live = seqs.length;
    }
  }

  private final HashMap<Long, Held> held = new HashMap<>();
  private final PriorityQueue<Group> byDeadline =
      new PriorityQueue<>((a, b) -> Long.compare(a.deadline, b.deadline));
  private final long[] scanFrom = new long[4];
  private volatile long[] published = new long[4];

  boolean isLeased(long seq) {
    return held.containsKey(seq);
  }

  long scanFrom(int rank) {
    return scanFrom[rank];
  }

  /** The cursors as last published (any thread; may lag the writer by one transaction). */
  long scanFromVolatile(int rank) {
    return published[rank];
  }

  /** Raises the cursor of {@code rank} to {@code seq}: every pending record below it is leased. */
  void advance(Txn txn, int rank, long seq) {
    long old = scanFrom[rank];
    if (seq > old) {
      scanFrom[rank] = seq;
      txn.onRollback(() -> setCursor(rank, old));
      publish();
    }
  }

  /** A record of {@code rank} with {@code seq} is pending (again): the cursor must not pass it. */
  void pendingAgain(Txn txn, int rank, long seq) {
    long old = scanFrom[rank];
    if (seq < old) {
      scanFrom[rank] = seq;
      txn.onRollback(() -> setCursor(rank, old));
      publish();
    }
  }

  private void setCursor(int rank, long seq) {
    scanFrom[rank] = seq;
    publish();
  }

  private void publish() {
    published = scanFrom.clone();
  }

  /** Holds the records of one lease until {@code deadline}. */
  void hold(Txn txn, long deadline, long[] seqs, int[] ranks, long[] bytes) {
    Group g = new Group(deadline, seqs);
    for (int i = 0; i < seqs.length; i++) {
      held.put(seqs[i], new Held(seqs[i], ranks[i], bytes[i], g));
    }
    byDeadline.add(g);
    txn.onRollback(() -> {
      for (long seq : seqs) {
        held.remove(seq);
      }
      byDeadline.remove(g);
    });
  }

  /** Takes {@code seq} out of whichever lease holds it; null when none does. */
  Held drop(Txn txn, long seq) {
    Held h = held.remove(seq);
    if (h == null) {
      return null;
    }
    Group g = h.group();
    if (--g.live == 0) {
      byDeadline.remove(g);
    }
    txn.onRollback(() -> {
      held.put(seq, h);
      if (g.live++ == 0) {
        byDeadline.add(g);
      }
    });
    return h;
  }

  /** The earliest deadline of a live lease, or {@link Long#MAX_VALUE}. */
  long earliestDeadline() {
    Group g = byDeadline.peek();
    return g == null ? Long.MAX_VALUE : g.deadline;
  }

  /**
   * Takes out every record whose lease deadline is at or before {@code now}, lowering the
   * cursors to them; returns them in seq order.
   */
  List<Held> expire(Txn txn, long now) {
    List<Held> out = new ArrayList<>();
    while (!byDeadline.isEmpty() && byDeadline.peek().deadline <= now) {
      Group g = byDeadline.peek();
      for (long seq : g.seqs) {
        Held h = held.get(seq);
        if (h != null && h.group() == g) {
          out.add(drop(txn, seq));
        }
      }
      // drop() removed the group when its last record went; a group is never left empty
      if (byDeadline.peek() == g) {
        byDeadline.poll();
      }
    }
    out.sort((a, b) -> Long.compare(a.seq(), b.seq()));
    for (Held h : out) {
      pendingAgain(txn, h.rank(), h.seq());
    }
    return out;
  }
}
