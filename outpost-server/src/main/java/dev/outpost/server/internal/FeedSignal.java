package dev.outpost.server.internal;

import java.util.function.LongSupplier;

/**
 * Wakes long-polling pulls when the change feed moves: this server's document writes signal it
 * once committed; writes of other servers on the same PostgreSQL database are seen by looking
 * again every {@value #RECHECK_MILLIS} ms. Thread-safe.
 */
final class FeedSignal {
  static final long RECHECK_MILLIS = 250;
  private long generation; // guarded by this

  synchronized void changed() {
    generation++;
    notifyAll();
  }

  /**
   * Waits until the feed head is past {@code after} or {@code timeoutMillis} passed; returns the
   * head then. Interrupts end the wait early (the flag is kept).
   */
  long awaitPast(long after, long timeoutMillis, LongSupplier head) {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (true) {
      long seen;
      synchronized (this) {
        seen = generation; // before reading the head, so a commit in between is not missed
      }
      long h = head.getAsLong();
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (h > after || left <= 0) {
        return h;
      }
      synchronized (this) {
        if (seen == generation) {
          try {
            // woken by a local commit, or after RECHECK_MILLIS to see other servers' commits
            wait(Math.min(left, RECHECK_MILLIS));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return head.getAsLong();
          }
        }
      }
    }
  }
}
