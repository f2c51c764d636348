package dev.outpost.sqlite;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of a store: one thread owns the write connection and commits, as one group,
 * the tasks that queued up while the previous commit ran, so concurrent writers share one
 * transaction and one fsync (group commit). The outbox's appends and deliveries, the server's
 * ingest writes (SQLite and PostgreSQL) and, next, the replica's writes all go through one.
 *
 * <p><b>Groups.</b> The writer takes what is queued, up to {@link Settings#maxGroupTasks} tasks and
 * {@link Settings#maxGroupRecords} records, and hands the run to the store's {@link Committer},
 * which writes it in one transaction and completes or fails every task of it. If the last group
 * carried more records than this one has, it waits up to {@link Settings#maxWait} for more (so a
 * lone writer never waits, and a steady stream keeps its group size).
 *
 * <p><b>Solo work</b> ({@link #solo}) runs alone on the writer thread between two groups, in queue
 * order: housekeeping, a checkpoint's last pass, a small write in its own transaction.
 *
 * <p><b>Direct commit.</b> A caller that will wait anyway and finds the queue empty and the writer
 * idle may commit on its own thread ({@link #tryRunHere}), saving two thread hand-offs; under
 * load the queue is not empty and callers share group commits as above.
 *
 * <p><b>Back-pressure.</b> With a bounded {@link Settings#queueCapacity}, {@link #submit} blocks
 * while the queue is full.
 *
 * <p><b>Thread-safety.</b> Everything that uses the write connection runs holding this writer's
 * lock, which never leaves this class: the writer thread, a direct committer, and the owner's own
 * work through {@link #locked}. {@link #stop} finishes what is queued before it and returns what
 * was queued after, for the owner to fail; a task is completed or failed exactly once.
 *
 * <p><b>Crash behaviour</b> is the committer's: a task is completed only after its transaction
 * committed, so whatever a crash interrupts was never acknowledged.
 *
 * @param <T> the store's task type
 */
public final class SingleWriter<T extends SingleWriter.Task> {
  private static final Logger LOG = LoggerFactory.getLogger(SingleWriter.class);

  /** A unit of queued work that joins a group. */
  public interface Task {
    /** Records it carries, counted against {@link Settings#maxGroupRecords}; 0 for bookkeeping. */
    int records();

    /** Fails it: it was never committed. Called at most once, and never after it completed. */
    void fail(RuntimeException e);
  }

  /** Writes a group of tasks in one transaction and completes or fails each of them. */
  @FunctionalInterface
  public interface Committer<T> {
    /**
     * Runs on the writer thread or a direct committer, holding the writer's lock. What it throws
     * fails every task of the group with {@link Settings#unexpected}'s exception.
     */
    void commit(List<T> group);
  }

  /**
   * How a writer groups and queues. Immutable.
   *
   * @param name for the thread ("outbox-writer-…") and for errors
   * @param maxGroupTasks tasks per group at most
   * @param maxGroupRecords records per group: no task is added once the group has this many
   * @param maxWait how long to wait for more when a group is smaller than the last; zero: never
   * @param queueCapacity queued tasks at most before {@link #submit} blocks; 0: unbounded
   * @param unexpected the exception a task fails with when the committer itself threw
   */
  public record Settings(String name, int maxGroupTasks, int maxGroupRecords, Duration maxWait, int queueCapacity,
      Function<Throwable, RuntimeException> unexpected) {
    public Settings {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(maxWait, "maxWait");
      Objects.requireNonNull(unexpected, "unexpected");
      if (maxGroupTasks < 1) {
        throw new IllegalArgumentException("maxGroupTasks < 1: " + maxGroupTasks);
      }
      if (maxGroupRecords < 1) {
        throw new IllegalArgumentException("maxGroupRecords < 1: " + maxGroupRecords);
      }
      if (maxWait.isNegative()) {
        throw new IllegalArgumentException("maxWait < 0: " + maxWait);
      }
      if (queueCapacity < 0) {
        throw new IllegalArgumentException("queueCapacity < 0: " + queueCapacity);
      }
    }
  }

  /** Work run alone on the writer thread, between groups. */
  private static final class Solo<R> {
    final Callable<R> work;
    final CompletableFuture<R> future = new CompletableFuture<>();

    Solo(Callable<R> work) {
      this.work = work;
    }

    void run() {
      try {
        future.complete(work.call());
      } catch (Exception | Error e) {
        future.completeExceptionally(e);
      }
    }
  }

  /** Queued by {@link #stop}: the writer ends after it. */
  private static final Object STOP = new Object();

  private final Settings settings;
  private final Committer<T> committer;
  private final LinkedBlockingQueue<Object> queue;
  private final ReentrantLock lock = new ReentrantLock();
  /** Tasks and solos queued or in the writer's hands, not yet done: 0 means the writer is idle. */
  private final AtomicInteger outstanding = new AtomicInteger();
  private final long maxWaitNanos;
  private final Thread thread;
  private volatile boolean stopped;
  private volatile boolean stopping;

  public SingleWriter(Settings settings, Committer<T> committer) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.committer = Objects.requireNonNull(committer, "committer");
    this.queue = settings.queueCapacity() == 0 ? new LinkedBlockingQueue<>() : new LinkedBlockingQueue<>(settings.queueCapacity());
    this.maxWaitNanos = settings.maxWait().toNanos();
    this.thread = Thread.ofPlatform().name(settings.name()).daemon(true).unstarted(this::loop);
  }

  /** Starts the writer thread; before this, only {@link #locked} work runs. */
  public void start() {
    thread.start();
  }

  /**
   * Queues a task; blocks while a bounded queue is full.
   *
   * @throws IllegalStateException if the writer is stopped, or the wait for room was interrupted
   *     (the task was not queued)
   */
  public void submit(T task) {
    enqueue(task);
  }

  /** Queues {@code work} to run alone on the writer thread; the future completes with its result. */
  public <R> CompletableFuture<R> solo(Callable<R> work) {
    Solo<R> solo = new Solo<>(work);
    enqueue(solo);
    return solo.future;
  }

  private void enqueue(Object entry) {
    if (stopped) {
      throw new IllegalStateException(settings.name() + " is stopped");
    }
    outstanding.incrementAndGet();
    try {
      queue.put(entry);
    } catch (InterruptedException e) {
      outstanding.decrementAndGet();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for room in the queue of " + settings.name()
          + "; not queued", e);
    }
    // stop() may have run between the check above and the put: then nobody takes this entry
    // any more, unless stop() still drains it (it then fails it as a leftover)
    if (stopped && !thread.isAlive() && queue.remove(entry)) {
      outstanding.decrementAndGet();
      throw new IllegalStateException(settings.name() + " is stopped");
    }
  }

  /**
   * Commits {@code task} on the calling thread if nothing is queued and the writer is idle;
   * returns false (nothing done) otherwise, and the caller queues it.
   */
  public boolean tryRunHere(T task) {
    // outstanding == 0 also means none of this caller's earlier (async) tasks is still waiting,
    // so running this one first cannot reorder one producer's writes
    if (outstanding.get() != 0 || !lock.tryLock()) {
      return false;
    }
    try {
      if (stopping || stopped || outstanding.get() != 0) {
        return false;
      }
      commit(List.of(task));
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Takes a queued task back if the writer has not taken it yet; true if it was still queued. */
  public boolean withdraw(T task) {
    if (queue.remove(task)) {
      outstanding.decrementAndGet();
      return true;
    }
    return false;
  }

  /** Runs {@code work} on the calling thread holding the writer's lock (the owner's own use of the connection). */
  public <R> R locked(Callable<R> work) throws Exception {
    lock.lock();
    try {
      return work.call();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Lets the writer finish what was queued before this call, then stops it, waiting at most
   * {@code wait}. New submissions are refused. Returns the tasks still queued after that, for
   * the owner to fail with its own error; solo work still queued fails with an
   * {@link IllegalStateException}. Idempotent.
   */
  public List<T> stop(Duration wait) {
    if (!stopped) {
      stopped = true;
      if (thread.isAlive()) {
        outstanding.incrementAndGet();
        try {
          queue.put(STOP); // nothing new is queued now, so room comes as the writer works
        } catch (InterruptedException e) {
          outstanding.decrementAndGet();
          Thread.currentThread().interrupt();
        }
      }
      try {
        thread.join(Math.max(1, wait.toMillis()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List<T> left = new ArrayList<>();
    for (Object o; (o = queue.poll()) != null; ) {
      outstanding.decrementAndGet();
      leftover(o, left);
    }
    return left;
  }

  @SuppressWarnings("unchecked")
  private void leftover(Object o, List<T> left) {
    if (o instanceof Solo<?> solo) {
      solo.future.completeExceptionally(new IllegalStateException(settings.name() + " stopped before this ran"));
    } else if (o != STOP) {
      left.add((T) o);
    }
  }

  private void loop() {
    List<T> group = new ArrayList<>();
    Object[] carry = new Object[1]; // a solo (or STOP) taken while collecting: runs after the group
    int lastRecords = 1;
    while (!stopping) {
      int records = collect(group, carry, lastRecords);
      if (!group.isEmpty()) {
        lastRecords = Math.max(1, records);
        lock.lock();
        try {
          commit(group);
        } finally {
          lock.unlock();
          outstanding.addAndGet(-group.size());
          group.clear();
        }
      }
      if (carry[0] != null) {
        Object next = carry[0];
        carry[0] = null;
        runAlone(next);
      }
    }
  }

  /** Commits a group (under the lock); whatever the committer throws fails the group. */
  private void commit(List<T> group) {
    try {
      committer.commit(group);
    } catch (RuntimeException | Error e) {
      LOG.error("{}: unexpected failure committing {} tasks", settings.name(), group.size(), e);
      RuntimeException failure = settings.unexpected().apply(e);
      for (T task : group) {
        task.fail(failure);
      }
    }
  }

  private void runAlone(Object entry) {
    try {
      if (entry == STOP) {
        stopping = true;
        return;
      }
      lock.lock();
      try {
        ((Solo<?>) entry).run();
      } finally {
        lock.unlock();
      }
    } finally {
      outstanding.decrementAndGet();
    }
  }

  /**
   * Takes queued tasks into {@code group} (waiting up to 100 ms for the first) until a solo, the
   * group limits, or an empty queue; then waits up to maxWait for more only while it has fewer
   * records than the last group carried. Returns the records taken.
   */
  @SuppressWarnings("unchecked")
  private int collect(List<T> group, Object[] carry, int lastRecords) {
    int records = 0;
    try {
      Object next = queue.poll(100, TimeUnit.MILLISECONDS);
      if (next == null) {
        return 0;
      }
      long deadline = 0;
      while (true) {
        if (next instanceof Solo<?> || next == STOP) {
          carry[0] = next;
          return records;
        }
        T task = (T) next;
        group.add(task);
        records += task.records();
        if (group.size() >= settings.maxGroupTasks() || records >= settings.maxGroupRecords()) {
          return records;
        }
        next = queue.poll();
        if (next == null) {
          if (records >= lastRecords || maxWaitNanos == 0) {
            return records;
          }
          if (deadline == 0) {
            deadline = System.nanoTime() + maxWaitNanos;
          }
          long left = deadline - System.nanoTime();
          next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
          if (next == null) {
            return records;
          }
        }
      }
    } catch (InterruptedException e) {
      // only stop() ends the writer, through the queue: commit what was taken and go on
      LOG.warn("{} interrupted; ignoring it, stop() ends the writer", settings.name());
      return records;
    }
  }
}
