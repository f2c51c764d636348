package dev.outpost.edge.internal;

import dev.outpost.core.Priority;
import dev.outpost.core.wire.RecordLimits;
import dev.outpost.edge.DeadLetter;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxStats;
import dev.outpost.edge.OutboxStorageException;
import dev.outpost.sqlite.WalCheckpointer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQLite outbox (format in {@link Schema}, writer in {@link CommitLoop}).
 *
 * <p><b>Thread-safety:</b> all methods may be called from any thread. Every write goes through
 * the single writer ({@link CommitLoop}: its thread, or the caller itself when it would only wait
 * for an idle writer); {@link #stats()} reads in-memory counts plus four index lookups on a
 * separate read connection; {@link #deadLetters} pages through the read connection.
 *
 * <p><b>Durability:</b> an append returns (its future completes) only after the COMMIT of its
 * group returned; in WAL mode with {@code synchronous=FULL} that means the WAL was fsync'd. Acks,
 * rejects and releases are committed before their calls return, but a group of only such
 * delivery bookkeeping is not fsync'd itself (see {@link Op.Work#redoable}): a power cut may undo
 * the last of them, which makes records pending again for a re-send the server dedupes.
 *
 * <p><b>Crash and restart:</b> on open, a store not closed cleanly is integrity-checked (a
 * corrupt one is moved aside, see {@link StoreFile}); leases are held in memory only
 * ({@link LeaseTable}), so every record leased before is pending again; counts are recomputed once with an indexed aggregate; the next seq is one past
 * the highest of the rows and the persisted high-water mark, so no seq is reused.
 */
public final class SqliteOutbox implements Outbox {
  private static final Logger log = LoggerFactory.getLogger(SqliteOutbox.class);

  private final String store;
  private final Path dbFile;
  private final OutboxConfig config;
  private final long epoch;
  private final int corruptMovedAside;
  private final LiveTally live;
  private final Budget budget;
  private final CommitLoop loop;
  private final Deliveries deliveries;
  private final LeaseTable leases = new LeaseTable();
  private final Housekeeper housekeeper;
  private final WriteConnection write;
  private final DiskReserve reserve;
  private final Connection read;
  private final ScheduledExecutorService timer;
  private final WalCheckpointer checkpointer;
  private final DirectoryLock lock;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean housekeepingQueued = new AtomicBoolean();
  private final AtomicBoolean checkpointFinishQueued = new AtomicBoolean();
  /** Bound on the bounded runs one {@link #housekeep()} call makes. */
  private static final int MAX_EXPLICIT_RUNS = 10_000;

  private SqliteOutbox(Path dir, OutboxConfig config, StoreFile.Opened opened, CommitLoop.CommitFault fault,
      DirectoryLock lock) throws SQLException {
    this.dbFile = StoreFile.dbPath(dir);
    this.lock = lock;
    this.store = StoreFile.dbPath(dir).toString();
    this.config = config;
    Path db = StoreFile.dbPath(dir);
    this.write = new WriteConnection(opened.connection(), () -> StoreFile.reconnect(db), store);
    this.reserve = new DiskReserve(dir, store);
    this.epoch = opened.meta("epoch");
    this.corruptMovedAside = opened.corruptMovedAside();
    Tally atOpen = new Tally();
    atOpen.evicted = opened.meta("evicted");
    atOpen.expired = opened.meta("expired");
    atOpen.deadLettered = opened.meta("dead_lettered");
    atOpen.purged = opened.meta("purged");
    this.budget = new Budget(config, leases, store);
    long lastSeq = StoreFile.recover(opened.connection(), atOpen, opened.meta("last_seq"), store);
    this.live = new LiveTally(atOpen);
    this.loop = new CommitLoop(write, reserve, config, budget, live, lastSeq, store, dir.getFileName().toString(), fault);
    this.deliveries = new Deliveries(epoch, config.ackedRetention().isPositive(), store, leases);
    Path dbFile = StoreFile.dbPath(dir);
    this.checkpointer = new WalCheckpointer(
        dbFile, StoreFile.connect(dbFile), StoreFile.walThreshold(dbFile), this::finishCheckpoint, "Outbox");
    this.housekeeper = new Housekeeper(loop, deliveries, leases, budget, live, config, reserve, store, checkpointer);
    loop.inTransaction(txn -> {
      budget.measure(txn);
      return null;
    });
    this.read = StoreFile.connect(StoreFile.dbPath(dir));
    try (Statement s = read.createStatement()) {
      s.execute("PRAGMA query_only = 1");
    }
    loop.start();
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "outbox-housekeeping-" + dir.getFileName());
      t.setDaemon(true);
      return t;
    });
    long every = config.housekeepingInterval().toMillis();
    timer.scheduleWithFixedDelay(this::scheduleHousekeeping, every, every, TimeUnit.MILLISECONDS);
    timer.scheduleWithFixedDelay(checkpointer::tick, 50, 50, TimeUnit.MILLISECONDS);
  }

  public static Outbox open(Path dir, OutboxConfig config) {
    return open(dir, config, CommitLoop.CommitFault.NONE);
  }

  static SqliteOutbox open(Path dir, OutboxConfig config, CommitLoop.CommitFault fault) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(config, "config");
    DirectoryLock lock = DirectoryLock.acquire(dir);
    StoreFile.Opened opened;
    try {
      opened = StoreFile.open(dir, config.clock());
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
    try {
      SqliteOutbox outbox = new SqliteOutbox(dir, config, opened, fault, lock);
      log.info("Outbox {} open: epoch {}, last seq {}, {}", outbox.store,
          Long.toUnsignedString(outbox.epoch, 16), outbox.loop.lastSeq(), outbox.live.describePending());
      return outbox;
    } catch (SQLException e) {
      StoreFile.closeQuietly(opened.connection());
      lock.close();
      throw new OutboxStorageException("cannot open outbox " + StoreFile.dbPath(dir) + ": " + e.getMessage(), e);
    }
  }

  @Override
  public long epoch() {
    return epoch;
  }

  @Override
  public long append(String topic, byte[] payload, Priority priority, Map<String, String> headers) {
    Op.Append op = appendOp(List.of(new NewRecord(topic, payload, priority, headers, null)));
    return await(submitOrRunHere(op, op.future));
  }

  @Override
  public CompletableFuture<Long> appendAsync(String topic, byte[] payload, Priority priority,
      Map<String, String> headers) {
    Op.Append op;
    try {
      op = appendOp(List.of(new NewRecord(topic, payload, priority, headers, null)));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return submit(op, op.future);
  }

  @Override
  public List<Long> appendAll(List<NewRecord> records) {
    Objects.requireNonNull(records, "records");
    if (records.isEmpty()) {
      ensureOpen();
      return List.of();
    }
    Op.Append op = appendOp(records);
    long first = await(submitOrRunHere(op, op.future));
    return java.util.stream.LongStream.range(first, first + records.size()).boxed().toList();
  }

  private Op.Append appendOp(List<NewRecord> records) {
    ensureOpen();
    int n = records.size();
    String[] topics = new String[n];
    int[] ranks = new int[n];
    byte[][] headers = new byte[n][];
    byte[][] payloads = new byte[n][];
    long[] ttl = new long[n];
    for (int i = 0; i < n; i++) {
      NewRecord r = Objects.requireNonNull(records.get(i), "record " + i + " is null");
      String where = n == 1 ? "" : " (record " + i + " of the batch)";
      topics[i] = RecordRules.topic(r.topic(), RecordLimits.DEFAULT, where);
      payloads[i] = RecordRules.payload(r.payload(), config.maxPayloadBytes(), where);
      ranks[i] = RecordRules.priority(r.priority(), where).rank();
      headers[i] = RecordRules.headers(r.headers(), RecordLimits.DEFAULT, where);
      ttl[i] = RecordRules.ttlMillis(r.ttl() != null ? r.ttl() : config.ttl(r.priority()), where);
    }
    return new Op.Append(topics, ranks, headers, payloads, ttl);
  }

  @Override
  public Lease lease(LeaseRequest request) {
    Objects.requireNonNull(request, "request");
    return delivery(txn -> deliveries.lease(txn, request));
  }

  @Override
  public void ack(Collection<Long> seqs) {
    Objects.requireNonNull(seqs, "seqs");
    delivery(txn -> deliveries.ack(txn, List.copyOf(seqs)));
  }

  @Override
  public void reject(Map<Long, String> reasonsBySeq) {
    Objects.requireNonNull(reasonsBySeq, "reasonsBySeq");
    Map<Long, String> reasons = Map.copyOf(reasonsBySeq);
    delivery(txn -> deliveries.reject(txn, reasons));
  }

  @Override
  public void release(Collection<Long> seqs) {
    Objects.requireNonNull(seqs, "seqs");
    delivery(txn -> deliveries.release(txn, List.copyOf(seqs)));
  }

  @Override
  public List<DeadLetter> deadLetters(long afterSeq, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit < 1: " + limit);
    }
    ensureOpen();
    synchronized (read) {
      try {
        return DeadLetterRows.list(read, afterSeq, limit);
      } catch (SQLException e) {
        throw new OutboxStorageException("outbox " + store + ": cannot list dead letters: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public int retryDeadLetters(Collection<Long> seqs) {
    List<Long> copy = List.copyOf(Objects.requireNonNull(seqs, "seqs"));
    return work(txn -> DeadLetterRows.retry(txn, copy, leases));
  }

  @Override
  public int purgeDeadLetters(Collection<Long> seqs) {
    List<Long> copy = List.copyOf(Objects.requireNonNull(seqs, "seqs"));
    return work(txn -> DeadLetterRows.purge(txn, copy));
  }

  @Override
  public OutboxStats stats() {
    ensureOpen();
    Tally t = live.snapshot();
    return new OutboxStats(t.countMap(), t.bytesMap(), t.inFlight, t.deadLetters, t.evicted, t.expired,
        t.deadLettered, budget.used(), config.budgetBytes(), budget.warningLevel(), oldestPendingAge(t),
        epoch, loop.lastSeq(), corruptMovedAside, t.purged, reserve.refusals(), reserve.lastError());
  }

  private long oldestPendingAge(Tally t) {
    long oldest = Long.MAX_VALUE;
    synchronized (read) {
      try (PreparedStatement p = read.prepareStatement(
          "SELECT ts FROM records WHERE state = 0 AND priority = ? AND seq >= ? ORDER BY seq LIMIT 1")) {
        for (int rank = 0; rank < 4; rank++) {
          if (t.pendingCount[rank] == 0) {
            continue;
          }
          p.setInt(1, rank);
          p.setLong(2, leases.scanFromVolatile(rank));
          try (ResultSet rs = p.executeQuery()) {
            if (rs.next()) {
              oldest = Math.min(oldest, rs.getLong(1));
            }
          }
        }
      } catch (SQLException e) {
        throw new OutboxStorageException("outbox " + store + ": cannot read stats: " + e.getMessage(), e);
      }
    }
    return oldest == Long.MAX_VALUE ? 0 : Math.max(0, config.clock().millis() - oldest);
  }

  /**
   * Runs housekeeping to the end: one bounded run after the other (appends and acks go in
   * between), at most {@value #MAX_EXPLICIT_RUNS} runs.
   */
  @Override
  public void housekeep() {
    ensureOpen();
    for (int run = 0; run < MAX_EXPLICIT_RUNS; run++) {
      boolean[] more = new boolean[1];
      await(submitHousekeeping(false, more));
      if (!more[0]) {
        return;
      }
    }
  }

  private void scheduleHousekeeping() {
    if (!closed.get() && housekeepingQueued.compareAndSet(false, true)) {
      submitHousekeeping(true, new boolean[1]).whenComplete((ok, e) -> {
        if (e != null && !closed.get()) {
          log.warn("Outbox {}: scheduled housekeeping failed, will retry next interval: {}", store, e.toString());
        }
      });
    }
  }

  /**
   * The writer's part of a background checkpoint (called on the timer thread after its passes):
   * queues, at most once at a time, a PASSIVE checkpoint on the write connection, which copies
   * the frames committed during the passes; with no commit running it completes, and the next
   * transaction restarts the WAL from its start (see {@link WalCheckpointer}).
   */
  private void finishCheckpoint() {
    if (closed.get() || !checkpointFinishQueued.compareAndSet(false, true)) {
      return;
    }
    try {
      // may wait for room in a full queue; interrupted there only by close()
      solo(() -> {
        checkpointFinishQueued.set(false);
        try {
          checkpointer.checkpoint(write.connection(), "PASSIVE");
        } catch (SQLException e) {
          throw new OutboxStorageException("outbox " + store + ": WAL checkpoint failed: " + e.getMessage(), e);
        }
      });
    } catch (RuntimeException e) {
      checkpointFinishQueued.set(false); // not queued: a later pass may queue one
      if (!closed.get()) {
        throw e; // the checkpointer logs it and tries again next tick
      }
    }
  }

  /** One bounded run; {@code more[0]} tells whether work is left. */
  private CompletableFuture<Void> submitHousekeeping(boolean rescheduleIfMore, boolean[] more) {
    return solo(() -> {
      if (rescheduleIfMore) {
        housekeepingQueued.set(false);
      }
      try {
        more[0] = housekeeper.run();
        if (more[0] && rescheduleIfMore && !closed.get()) {
          // more left: queue another run from the timer thread (the writer must never block on
          // its own full queue)
          try {
            timer.execute(this::scheduleHousekeeping);
          } catch (java.util.concurrent.RejectedExecutionException closing) {
            // closing: the rest waits for the next open
          }
        }
      } catch (SQLException e) {
        throw new OutboxStorageException("outbox " + store + ": housekeeping failed: " + e.getMessage(), e);
      }
    });
  }

  private <T> T work(Txn.Work<T> work) {
    return work(work, false);
  }

  /** For tests: whether the last commit on the write connection fsync'd the WAL. */
  boolean lastCommitFsynced() {
    try {
      return loop.locked(() -> loop.connection().fullSync());
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Delivery bookkeeping (lease, ack, reject, release): commits durably against a process crash
   * but without an fsync of its own; a power cut may bring its records back, to be sent again
   * and deduped by the server (docs/outbox.md, "Durability").
   */
  private <T> T delivery(Txn.Work<T> work) {
    return work(work, true);
  }

  private <T> T work(Txn.Work<T> work, boolean redoable) {
    ensureOpen();
    Op.Work<T> op = new Op.Work<>(work, redoable);
    return await(submitOrRunHere(op, op.future));
  }

  /**
   * Queues records made inside the group transaction together with the store changes that go
   * with them (see {@link Op.Derived}); the future completes once they committed, or fails alone.
   */
  <T> CompletableFuture<T> derive(Txn.Work<Op.Derived.Made<T>> make) {
    ensureOpen();
    Op.Derived<T> op = new Op.Derived<>(make, this::appendOp);
    return submitOrRunHere(op, op.future);
  }

  /** Work in the group transaction, for the replica beside this outbox; waits for its commit. */
  <T> T replicaWork(Txn.Work<T> work) {
    return work(work, false);
  }

  /** The store's database file (the replica reads it on a connection of its own). */
  Path dbFile() {
    return dbFile;
  }

  /** For callers that wait anyway: commit on this thread when the writer is idle, else queue. */
  private <T> CompletableFuture<T> submitOrRunHere(Op op, CompletableFuture<T> future) {
    return loop.tryRunHere(op) ? future : submit(op, future);
  }

  private <T> CompletableFuture<T> submit(Op op, CompletableFuture<T> future) {
    try {
      loop.submit(op);
    } catch (IllegalStateException e) {
      throw closed.get() ? closedException() : e;
    }
    return future;
  }

  /** Work run alone on the writer thread, between group commits. */
  private CompletableFuture<Void> solo(Runnable work) {
    try {
      return loop.solo(work);
    } catch (IllegalStateException e) {
      throw closed.get() ? closedException() : e;
    }
  }

  private static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new OutboxStorageException("outbox operation failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the outbox to commit; the"
          + " operation may or may not have been committed", e);
    }
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw closedException();
    }
  }

  private IllegalStateException closedException() {
    return new IllegalStateException("outbox closed: " + store);
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    timer.shutdownNow();
    try {
      timer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    checkpointer.close();
    for (Op op : loop.stop()) { // what producers queued while this closed
      op.fail(closedException());
    }
    try {
      loop.locked(() -> {
        try (Statement s = write.connection().createStatement()) {
          s.executeUpdate("UPDATE meta SET value = 1 WHERE key = 'clean'");
        }
        housekeeper.reclaimSpace(Long.MAX_VALUE, false); // closing: nothing waits for the writer any more
        return null;
      });
    } catch (SQLException e) {
      log.warn("Outbox {}: clean close could not be recorded ({}); the next open will run an integrity check",
          store, e.toString());
    } finally {
      StoreFile.closeQuietly(read);
      write.close();
      lock.close();
    }
    log.info("Outbox {} closed at seq {}", store, loop.lastSeq());
  }
}
