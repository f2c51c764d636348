package dev.outpost.edge.internal;

import dev.outpost.sqlite.SingleWriter;
import dev.outpost.edge.NewRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An operation queued for the writer ({@link CommitLoop}): appends and work join the group
 * transaction (solo work goes through {@link CommitLoop#solo}). Each completes its future exactly
 * once, on the writer thread, after its commit (or fails it). Created on any thread, then owned by
 * the writer.
 */
abstract sealed class Op implements SingleWriter.Task permits Op.Append, Op.Work, Op.Derived {
  @Override
  public int records() {
    return 1;
  }

  /** Records appended together (all or nothing); their seqs are consecutive from the first. */
  static final class Append extends Op {
    final String[] topics;
    final int[] ranks;
    final byte[][] headers;
    final byte[][] payloads;
    final long[] ttlMillis;
    final long bytes;
    final int topRank;
    final CompletableFuture<Long> future = new CompletableFuture<>();
    long firstSeq;
    RuntimeException refused;

    Append(String[] topics, int[] ranks, byte[][] headers, byte[][] payloads, long[] ttlMillis) {
      this.topics = topics;
      this.ranks = ranks;
      this.headers = headers;
      this.payloads = payloads;
      this.ttlMillis = ttlMillis;
      long b = 0;
      int top = 3;
      for (int i = 0; i < topics.length; i++) {
        b += Budget.estimate(topics[i], headers[i], payloads[i]);
        top = Math.min(top, ranks[i]);
      }
      this.bytes = b;
      this.topRank = top;
    }

    @Override
    public int records() {
      return topics.length;
    }

    @Override
    public void fail(RuntimeException e) {
      future.completeExceptionally(e);
    }
  }

  /** Work that joins the group transaction. */
  static final class Work<T> extends Op {
    final Txn.Work<T> work;
    /**
     * Losing this commit in a power cut only brings records back that the sync engine sends
     * again and the server dedupes (lease, ack, reject, release): a group of only such work
     * commits without an fsync of its own (see {@link CommitLoop}).
     */
    final boolean redoable;
    final CompletableFuture<T> future = new CompletableFuture<>();
    T result;

    Work(Txn.Work<T> work, boolean redoable) {
      this.work = work;
      this.redoable = redoable;
    }

    @Override
    public void fail(RuntimeException e) {
      future.completeExceptionally(e);
    }
  }

  /**
   * Records that a function makes inside the group transaction from what the store holds, with
   * the store changes that go with them: a replica's local write, whose document change and the
   * op that carries it up commit together or not at all. The function runs under a savepoint: if
   * it refuses (a runtime exception) or its records are refused (outbox full, disk full), the
   * savepoint is rolled back and only this operation fails; the rest of the group commits.
   */
  static final class Derived<T> extends Op {
    /** What the function made: the records to append, and what the caller gets once committed. */
    record Made<T>(List<NewRecord> records, T result) {}

    final Txn.Work<Made<T>> make;
    final java.util.function.Function<List<NewRecord>, Append> toAppend;
    final CompletableFuture<T> future = new CompletableFuture<>();
    T result;
    RuntimeException refused;

    Derived(Txn.Work<Made<T>> make, java.util.function.Function<List<NewRecord>, Append> toAppend) {
      this.make = make;
      this.toAppend = toAppend;
    }

    @Override
    public void fail(RuntimeException e) {
      future.completeExceptionally(e);
    }
  }
}
