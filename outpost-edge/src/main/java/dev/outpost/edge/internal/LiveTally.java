package dev.outpost.edge.internal;

/**
 * The store's counts as of the last commit: record counts and bytes by priority, in flight,
 * retained, dead letters and the cumulative counters. Built at open from what the store holds
 * ({@link StoreFile#recover}); after that only the writer changes it, adding each committed
 * transaction's {@link Tally} ({@link CommitLoop}), so a failed commit leaves it as it was. Anyone
 * reads it through a snapshot. Thread-safe: its lock is its own and never leaves this class.
 */
final class LiveTally {
  private final Tally counts = new Tally();

  LiveTally(Tally atOpen) {
    counts.add(atOpen);
  }

  /** Adds a committed transaction's changes. */
  synchronized void add(Tally committed) {
    counts.add(committed);
  }

  /** A copy of the counts now. */
  synchronized Tally snapshot() {
    Tally t = new Tally();
    t.add(counts);
    return t;
  }

  /** Pending records of one priority rank. */
  synchronized long pending(int rank) {
    return counts.pendingCount[rank];
  }

  /** Records pending or in flight: what a drain still has to deliver. */
  synchronized long live() {
    return counts.pendingTotal() + counts.inFlight;
  }

  /** "1200 pending (CRITICAL 0, HIGH 12, NORMAL 1188, LOW 0)". */
  synchronized String describePending() {
    return counts.describePending();
  }
}
