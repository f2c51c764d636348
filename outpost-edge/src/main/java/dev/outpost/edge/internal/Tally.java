package dev.outpost.edge.internal;

import dev.outpost.core.Priority;
import java.util.EnumMap;
import java.util.Map;

/**
 * Record counts and payload bytes of a store, or the change one transaction makes to them. The
 * writer builds a change while a transaction runs and adds it to the live tally only after the
 * commit succeeded ({@link LiveTally}), so a failed commit leaves the counts untouched. Not
 * thread-safe: a transaction's change belongs to its writer, the live counts to {@link LiveTally}.
 */
final class Tally {
  final long[] pendingCount = new long[4];
  final long[] pendingBytes = new long[4];
  long inFlight;
  long retained;
  long deadLetters;
  long evicted;
  long expired;
  long deadLettered;
  long purged;

  void pending(int rank, long count, long bytes) {
    pendingCount[rank] += count;
    pendingBytes[rank] += bytes;
  }

  /** A row left a state: {@code state} is its old state, for pending it also leaves the lane. */
  void leave(int state, int rank, long bytes) {
    if (state == Schema.PENDING) {
      pending(rank, -1, -bytes);
    } else if (state == Schema.LEASED) {
      inFlight--;
    } else {
      retained--;
    }
  }

  void add(Tally d) {
    for (int i = 0; i < 4; i++) {
      pendingCount[i] += d.pendingCount[i];
      pendingBytes[i] += d.pendingBytes[i];
    }
    inFlight += d.inFlight;
    retained += d.retained;
    deadLetters += d.deadLetters;
    evicted += d.evicted;
    expired += d.expired;
    deadLettered += d.deadLettered;
    purged += d.purged;
  }

  boolean changesCumulative() {
    return evicted != 0 || expired != 0 || deadLettered != 0 || purged != 0;
  }

  long pendingTotal() {
    long n = 0;
    for (long c : pendingCount) {
      n += c;
    }
    return n;
  }

  Map<Priority, Long> countMap() {
    return map(pendingCount);
  }

  Map<Priority, Long> bytesMap() {
    return map(pendingBytes);
  }

  private static Map<Priority, Long> map(long[] values) {
    Map<Priority, Long> m = new EnumMap<>(Priority.class);
    for (Priority p : Priority.values()) {
      m.put(p, values[p.rank()]);
    }
    return m;
  }

  /** "1200 (CRITICAL 0, HIGH 12, NORMAL 1188, LOW 0)": pending counts for messages. */
  String describePending() {
    StringBuilder b = new StringBuilder().append(pendingTotal()).append(" pending (");
    for (Priority p : Priority.values()) {
      b.append(p.rank() == 0 ? "" : ", ").append(p).append(' ').append(pendingCount[p.rank()]);
    }
    return b.append(')').toString();
  }
}
