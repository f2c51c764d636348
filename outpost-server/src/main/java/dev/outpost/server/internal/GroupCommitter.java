package dev.outpost.server.internal;

import dev.outpost.sqlite.SingleWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server stores' committer on the SQLite writer kit's {@link SingleWriter} (used by the
 * PostgreSQL store too, for the same group commit): the ingest writes that queued up while the
 * previous commit ran are committed as one group, so many requests share one transaction and one
 * fsync, which is where ingest throughput comes from. Callers {@link #submit} a write and
 * {@link #await} its group's commit.
 *
 * <p>If a group fails, its writes are retried one by one, so one bad write cannot fail its
 * neighbours.
 *
 * <p>Ordered writes: a write may name an earlier write's commit ({@code after}) that must
 * succeed first. The earlier write was queued first, so it commits in the same group or an
 * earlier one; if it fails, the later write fails too ({@link PredecessorNotStoredException}),
 * also when a failed group is retried write by write. This is what lets a device's chained
 * batches share a group commit and still reach the store in order (see {@link BatchChains}).
 *
 * <p>{@link #exclusive} runs other work on the same thread between groups (for a store with a
 * single writer connection). Thread-safe. {@link #close()} finishes what is queued; work
 * submitted after that fails with a {@link StoreException}, never hangs.
 */
final class GroupCommitter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);

  /** Writes a group in one transaction; returns one result per write, or throws having rolled back. */
  @FunctionalInterface
  interface GroupWriter {
    List<boolean[]> write(List<Store.Write> group) throws Exception;
  }

  /** Work run alone on the writer thread; commits or rolls back itself. */
  @FunctionalInterface
  interface Exclusive<T> {
    T run() throws Exception;
  }

  private final class IngestTask implements SingleWriter.Task {
    final Store.Write write;
    final CompletableFuture<?> after;
    final CompletableFuture<boolean[]> done = new CompletableFuture<>();

    IngestTask(Store.Write write, CompletableFuture<?> after) {
      this.write = write;
      this.after = after;
    }

    @Override
    public int records() {
      return write.messages().size();
    }

    @Override
    public void fail(RuntimeException e) {
      if (!done.isDone()) {
        pending.addAndGet(-records());
        done.completeExceptionally(e);
      }
    }

    void complete(boolean[] result) {
      if (!done.isDone()) {
        pending.addAndGet(-records());
        done.complete(result);
      }
    }

    /** Its predecessor was committed before it, or failed: then it must fail too. */
    boolean predecessorFailed() {
      return after != null && after.isCompletedExceptionally();
    }
  }

  private final String name;
  private final GroupWriter writer;
  private final Duration timeout;
  private final SingleWriter<IngestTask> single;
  /** Records queued or in a commit, counted down as each write's future completes. */
  private final AtomicInteger pending = new AtomicInteger();

  GroupCommitter(String name, GroupWriter writer, int maxGroupRecords, Duration timeout) {
    this.name = name;
    this.writer = writer;
    this.timeout = timeout;
    this.single = new SingleWriter<>(new SingleWriter.Settings("outpost-writer " + name, Integer.MAX_VALUE,
        maxGroupRecords, Duration.ZERO, 0, this::failure), this::commit);
    single.start();
  }

  /**
   * Queues a write without waiting; the future completes at its commit (or failure).
   *
   * @param after null, or the future of a write submitted earlier that must commit first
   */
  CompletableFuture<boolean[]> submit(Store.Write write, CompletableFuture<?> after) {
    IngestTask task = new IngestTask(write, after);
    pending.addAndGet(task.records());
    try {
      single.submit(task);
    } catch (IllegalStateException stopped) {
      pending.addAndGet(-task.records());
      throw new StoreException(name + " is closed");
    }
    return task.done;
  }

  @SuppressWarnings("unchecked")
  <T> T exclusive(Exclusive<T> work) {
    CompletableFuture<T> done;
    try {
      done = single.solo(work::run);
    } catch (IllegalStateException stopped) {
      throw new StoreException(name + " is closed");
    }
    return await(done);
  }

  /** Records queued or in a commit that has not returned yet. */
  int pending() {
    return pending.get();
  }

  /** Waits for a submitted write's commit, at most the store timeout. */
  <T> T await(CompletableFuture<T> f) {
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting for the commit of " + name, e);
    } catch (TimeoutException e) {
      throw new StoreException(name + ": commit took longer than " + timeout + " (" + pending()
          + " records pending)", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : failure(e.getCause());
    }
  }

  private StoreException failure(Throwable t) {
    return t instanceof StoreException se ? se : new StoreException(name + ": write failed: " + t.getMessage(), t);
  }

  /** A group from the kit: writes whose predecessor failed fail at once, the rest go in one transaction. */
  private void commit(List<IngestTask> tasks) {
    List<IngestTask> group = new ArrayList<>(tasks.size());
    for (IngestTask t : tasks) {
      // a predecessor not yet done is earlier in this same group
      if (t.predecessorFailed()) {
        t.fail(new PredecessorNotStoredException());
      } else {
        group.add(t);
      }
    }
    if (!group.isEmpty()) {
      write(group);
    }
  }

  private void write(List<IngestTask> group) {
    List<boolean[]> results;
    try {
      results = writer.write(group.stream().map(t -> t.write).toList());
    } catch (Exception e) {
      if (group.size() > 1) {
        LOG.warn("{}: group commit of {} writes failed ({}); retrying them one by one", name, group.size(), e.getMessage());
        for (IngestTask t : group) {
          if (t.predecessorFailed()) { // its predecessor was retried just before it, and failed
            t.fail(new PredecessorNotStoredException());
          } else {
            write(List.of(t));
          }
        }
      } else {
        group.get(0).fail(failure(e));
      }
      return;
    }
    for (int i = 0; i < group.size(); i++) {
      group.get(i).complete(results.get(i));
    }
  }

  /** Finishes queued work, then stops the thread; anything left after that fails. */
  @Override
  public void close() {
    for (IngestTask t : single.stop(timeout)) {
      t.fail(new StoreException(name + " closed before the write ran"));
    }
  }
}
