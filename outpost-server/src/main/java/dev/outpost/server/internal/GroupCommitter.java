package dev.outpost.server.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer thread that commits, as one group, the ingest writes that queued up while the
 * previous commit ran: many requests share one transaction and one fsync, which is where ingest
 * throughput comes from. Callers {@link #submit} a write and {@link #await} its group's commit.
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

  private sealed interface Task permits IngestTask, OtherTask {}

  private record IngestTask(Store.Write write, CompletableFuture<?> after, CompletableFuture<boolean[]> done)
      implements Task {}

  private record OtherTask(Exclusive<?> work, CompletableFuture<Object> done) implements Task {}

  private final String name;
  private final GroupWriter writer;
  private final int maxGroupRecords;
  private final Duration timeout;
  private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final Thread thread;
  private volatile boolean closed;

  GroupCommitter(String name, GroupWriter writer, int maxGroupRecords, Duration timeout) {
    this.name = name;
    this.writer = writer;
    this.maxGroupRecords = maxGroupRecords;
    this.timeout = timeout;
    this.thread = Thread.ofPlatform().name("outpost-writer " + name).daemon(true).unstarted(this::loop);
    thread.start();
  }

  /**
   * Queues a write without waiting; the future completes at its commit (or failure).
   *
   * @param after null, or the future of a write submitted earlier that must commit first
   */
  CompletableFuture<boolean[]> submit(Store.Write write, CompletableFuture<?> after) {
    IngestTask task = new IngestTask(write, after, new CompletableFuture<>());
    submit(task);
    return task.done();
  }

  @SuppressWarnings("unchecked")
  <T> T exclusive(Exclusive<T> work) {
    OtherTask task = new OtherTask(work, new CompletableFuture<>());
    submit(task);
    return (T) await(task.done());
  }

  /** Records queued or in a commit that has not returned yet. */
  int pending() {
    return pending.get();
  }

  private void submit(Task task) {
    if (closed) {
      throw new StoreException(name + " is closed");
    }
    if (task instanceof IngestTask it) {
      pending.addAndGet(it.write().messages().size());
    }
    queue.add(task);
  }

  /** Waits for a submitted write's commit, at most the store timeout. */
  <T> T await(CompletableFuture<T> f) {
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting for the commit of " + name, e);
    } catch (TimeoutException e) {
      throw new StoreException(name + ": commit took longer than " + timeout + " (" + pending.get()
          + " records pending)", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : failure(e.getCause());
    }
  }

  private StoreException failure(Throwable t) {
    return t instanceof StoreException se ? se : new StoreException(name + ": write failed: " + t.getMessage(), t);
  }

  private void loop() {
    List<IngestTask> group = new ArrayList<>();
    while (true) {
      Task first;
      try {
        first = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        first = null;
      }
      if (first == null) {
        if (closed) {
          return;
        }
        continue;
      }
      group.clear();
      try {
        if (first instanceof OtherTask other) {
          other.done().complete(other.work().run());
          continue;
        }
        IngestTask it = (IngestTask) first;
        int records = take(group, it);
        // Only this thread takes from the queue, so what peek saw is what poll returns.
        while (records < maxGroupRecords && queue.peek() instanceof IngestTask next) {
          queue.poll();
          records += take(group, next);
        }
        if (!group.isEmpty()) {
          commit(group);
        }
      } catch (Throwable t) {
        // Keep the writer alive whatever happens; the callers of this round get the error.
        if (first instanceof OtherTask other) {
          other.done().completeExceptionally(t instanceof RuntimeException ? t : failure(t));
        } else {
          LOG.error("{}: writer failed; failing {} waiting writes", name, group.size(), t);
          for (IngestTask task : group) {
            finish(task, null, failure(t));
          }
        }
      }
    }
  }

  /**
   * Adds the task to the group unless its predecessor already failed (it then fails at once);
   * returns the records added. A predecessor not yet done is earlier in this same group.
   */
  private int take(List<IngestTask> group, IngestTask t) {
    if (predecessorFailed(t)) {
      finish(t, null, new PredecessorNotStoredException());
      return 0;
    }
    group.add(t);
    return t.write().messages().size();
  }

  private static boolean predecessorFailed(IngestTask t) {
    return t.after() != null && t.after().isCompletedExceptionally();
  }

  private void commit(List<IngestTask> group) {
    List<boolean[]> results;
    try {
      results = writer.write(group.stream().map(IngestTask::write).toList());
    } catch (Exception e) {
      if (group.size() > 1) {
        LOG.warn("{}: group commit of {} writes failed ({}); retrying them one by one", name, group.size(), e.getMessage());
        for (IngestTask t : group) {
          if (predecessorFailed(t)) { // its predecessor was retried just before it, and failed
            finish(t, null, new PredecessorNotStoredException());
          } else {
            commit(List.of(t));
          }
        }
      } else {
        finish(group.get(0), null, failure(e));
      }
      return;
    }
    for (int i = 0; i < group.size(); i++) {
      finish(group.get(i), results.get(i), null);
    }
  }

  private void finish(IngestTask t, boolean[] result, RuntimeException error) {
    if (t.done().isDone()) {
      return;
    }
    pending.addAndGet(-t.write().messages().size());
    if (error != null) {
      t.done().completeExceptionally(error);
    } else {
      t.done().complete(result);
    }
  }

  /** Finishes queued work, then stops the thread; anything left after that fails. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      thread.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Task t; (t = queue.poll()) != null; ) {
      StoreException gone = new StoreException(name + " closed before the write ran");
      switch (t) {
        case IngestTask it -> finish(it, null, gone);
        case OtherTask ot -> ot.done().completeExceptionally(gone);
      }
    }
  }
}
