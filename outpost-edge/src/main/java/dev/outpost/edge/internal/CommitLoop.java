package dev.outpost.edge.internal;

import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxDiskFullException;
import dev.outpost.edge.OutboxFullException;
import dev.outpost.edge.OutboxStorageException;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import dev.outpost.sqlite.SingleWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbox's committer on the SQLite writer kit's {@link SingleWriter}: the kit owns the writer
 * thread, the queue, group collection (up to {@code groupCommitMaxRecords} operations, waiting up
 * to {@code groupCommitMaxWait} for more only when the previous commit carried more), solo work and
 * direct commits; this class writes one group: appends and other work in one transaction, commits
 * (WAL + synchronous=FULL: one fsync; NORMAL, no fsync, for a group of only delivery bookkeeping,
 * see {@link Op.Work#redoable}), then adds the transaction's count changes to the live tally and
 * completes the futures. Seqs are assigned here from an in-memory counter.
 *
 * <p>Crash behaviour: a future completes only after its commit returned, so every completed
 * append survives a crash. If a commit fails, the transaction is rolled back (the connection is
 * reopened if it stays stuck in it, see {@link WriteConnection}), every operation in it fails with
 * {@link OutboxStorageException}, the counts stay as they were, and the seqs it took are skipped
 * (never handed out again by this process; they were never acknowledged). A full file system
 * (SQLITE_FULL) turns the store disk full ({@link DiskReserve}): the WAL is truncated, appends
 * fail with {@link OutboxDiskFullException} until space returns, and a failed group holding a
 * lease, ack or other work releases the disk reserve and is tried once more with its appends
 * refused, so deliveries still commit.
 *
 * <p>Back-pressure: the queue holds at most 8 x {@code groupCommitMaxRecords} operations;
 * {@link #submit} (and so {@code appendAsync}) blocks while it is full.
 *
 * <p>Thread-safe: {@link #submit}, {@link #tryRunHere} and {@link #solo} from any thread. The
 * connection, the seq counter and everything a {@link Txn} touches are used only on the kit's
 * writer thread, by a direct committer, or through {@link #locked}: all under the kit's lock,
 * which also orders their memory effects.
 */
final class CommitLoop {
  private static final Logger log = LoggerFactory.getLogger(CommitLoop.class);

  /** A seam at the JDBC edge for fault tests: runs just before COMMIT, may throw. */
  @FunctionalInterface
  interface CommitFault {
    CommitFault NONE = records -> {};

    void beforeCommit(int records) throws SQLException;
  }

  private final SingleWriter<Op> writer;
  private final WriteConnection connection;
  private final DiskReserve reserve;
  private final OutboxConfig config;
  private final Budget budget;
  private final LiveTally live;
  private final String store;
  private final CommitFault fault;
  private PreparedStatement insert;
  private long nextSeq;
  private volatile long lastSeq;

  CommitLoop(WriteConnection connection, DiskReserve reserve, OutboxConfig config, Budget budget, LiveTally live,
      long lastSeq, String store, String threadName, CommitFault fault) {
    this.connection = connection;
    this.reserve = reserve;
    this.config = config;
    this.budget = budget;
    this.live = live;
    this.store = store;
    this.fault = fault;
    this.writer = new SingleWriter<>(new SingleWriter.Settings("outbox-writer-" + threadName,
        config.groupCommitMaxRecords(), Integer.MAX_VALUE, config.groupCommitMaxWait(),
        Math.max(1024, config.groupCommitMaxRecords() * 8),
        e -> new OutboxStorageException("outbox " + store + " writer failed: " + e, e)), this::commitGroup);
    this.lastSeq = lastSeq;
    this.nextSeq = lastSeq + 1;
  }

  WriteConnection connection() {
    return connection;
  }

  /** The highest seq committed so far (or known at open). */
  long lastSeq() {
    return lastSeq;
  }

  /** Starts the writer thread; before, {@link #inTransaction} runs on the caller's. */
  void start() {
    writer.start();
  }

  /**
   * Queues an operation; blocks while the queue is full (8 x groupCommitMaxRecords operations),
   * which is the back-pressure on producers that do not wait for their futures.
   */
  void submit(Op op) {
    writer.submit(op);
  }

  /** Queues work to run alone on the writer thread, between groups (housekeeping, checkpoints). */
  CompletableFuture<Void> solo(Runnable work) {
    return writer.solo(() -> {
      work.run();
      return null;
    });
  }

  /**
   * Commits {@code op} on the calling thread if nothing is queued and the writer is idle; returns
   * false (nothing done) otherwise, and the caller queues it.
   */
  boolean tryRunHere(Op op) {
    return writer.tryRunHere(op);
  }

  boolean withdraw(Op op) {
    return writer.withdraw(op);
  }

  /** Finishes what is queued and stops the writer; returns the operations queued after, to fail. */
  List<Op> stop() {
    return writer.stop(Duration.ofDays(1));
  }

  /** Work on the write connection outside the writer thread. */
  @FunctionalInterface
  interface Locked<T> {
    T run() throws SQLException;
  }

  /** Runs {@code work} on this thread with the write connection to itself (at close, in tests). */
  <T> T locked(Locked<T> work) throws SQLException {
    try {
      return writer.locked(work::run);
    } catch (SQLException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e); // Locked.run throws nothing else
    }
  }

  private void commitGroup(List<Op> group) {
    for (int attempt = 0; !tryCommitGroup(group, attempt); attempt++) {
      // tried once more after a full disk freed space: its appends are refused, its acks commit
    }
  }

  /** One attempt; false if it should be tried again (a first SQLITE_FULL that freed space). */
  private boolean tryCommitGroup(List<Op> group, int attempt) {
    long seqBefore = nextSeq;
    Txn txn = null; // outside the try: a rollback must take back its in-memory changes
    try {
      // appends and other work must be on disk when their futures complete (fsync); a group of
      // only delivery bookkeeping need not be: a power cut brings its records back, the sync
      // engine sends them again and the server's dedupe answers "duplicate"
      connection.synchronous(!group.stream().allMatch(op -> op instanceof Op.Work<?> w && w.redoable));
      txn = new Txn(connection.connection(), config.clock().millis(), connection.statements());
      insert = txn.prepare(Schema.INSERT);
      begin();
      int inserted = 0;
      for (Op op : group) {
        if (op instanceof Op.Append a) {
          inserted += insert(txn, a, inserted);
        } else if (op instanceof Op.Work<?> w) {
          inserted = flush(inserted);
          runWork(txn, w);
        } else if (op instanceof Op.Derived<?> d) {
          inserted = flush(inserted);
          runDerived(txn, d);
        }
      }
      flush(inserted);
      finishTxn(txn, nextSeq - seqBefore);
    } catch (SQLException | RuntimeException e) {
      SQLException sql = rollback(txn, e);
      boolean work = group.stream().anyMatch(op -> op instanceof Op.Work<?>);
      if (DiskReserve.isDiskFull(sql) && freeSpace(sql, work) && work && attempt == 0) {
        return false;
      }
      OutboxStorageException failure = new OutboxStorageException("outbox " + store + ": commit failed,"
          + " nothing of it was acknowledged" + (DiskReserve.isDiskFull(sql) ? " (disk full, SQLITE_FULL)"
              : DiskReserve.isStorageError(sql) ? " (storage error, SQLITE_IOERR)" : "") + ": " + e.getMessage(), e);
      for (Op op : group) {
        op.fail(op instanceof Op.Append a ? refusedOr(a, sql, failure) : failure);
      }
      remeasure();
      return true;
    }
    lastSeq = nextSeq - 1;
    for (Op op : group) {
      complete(op);
    }
    afterCommit();
    return true;
  }

  private RuntimeException refusedOr(Op.Append a, SQLException sql, OutboxStorageException failure) {
    if (a.refused != null) {
      return a.refused;
    }
    return DiskReserve.isDiskFull(sql) ? reserve.refusal(sql) : failure;
  }

  /**
   * After SQLITE_FULL: the store turns disk full, the WAL is truncated, and work that must commit
   * (deliveries, housekeeping) gets the disk reserve; true if space was freed.
   */
  private boolean freeSpace(SQLException sql, boolean work) {
    reserve.diskFull(sql);
    boolean freed = work && reserve.release();
    return connection.checkpoint("TRUNCATE") || freed;
  }

  /** While disk full, checkpoints after each commit so the WAL restarts instead of growing. */
  private void afterCommit() {
    if (reserve.full()) {
      connection.checkpoint("PASSIVE");
    }
  }

  private int insert(Txn txn, Op.Append a, int inserted) throws SQLException {
    OutboxDiskFullException diskFull = reserve.refusal(null);
    if (diskFull != null) {
      a.refused = diskFull;
      return 0;
    }
    OutboxFullException full = budget.admit(txn, a.topRank, a.bytes, live);
    if (full != null) {
      a.refused = full;
      return 0;
    }
    a.firstSeq = nextSeq;
    for (int i = 0; i < a.topics.length; i++) {
      insert.setLong(1, nextSeq++);
      insert.setString(2, a.topics[i]);
      insert.setInt(3, a.ranks[i]);
      insert.setLong(4, txn.now);
      if (a.ttlMillis[i] > 0) {
        insert.setLong(5, txn.now + a.ttlMillis[i]);
      } else {
        insert.setNull(5, java.sql.Types.INTEGER);
      }
      insert.setBytes(6, a.headers[i]);
      insert.setBytes(7, a.payloads[i]);
      insert.setInt(8, a.payloads[i].length);
      insert.addBatch();
      txn.delta.pending(a.ranks[i], 1, a.payloads[i].length);
    }
    return a.topics.length;
  }

  private int flush(int inserted) throws SQLException {
    if (inserted > 0) {
      insert.executeBatch();
    }
    return 0;
  }

  private static <T> void runWork(Txn txn, Op.Work<T> w) throws SQLException {
    w.result = w.work.run(txn);
  }

  /**
   * Runs a derived operation under a savepoint: its store changes and its records commit with the
   * group, or (refused by its function, or its records refused) are rolled back alone. A storage
   * error (SQLException) fails the whole group, as for any other operation.
   */
  private <T> void runDerived(Txn txn, Op.Derived<T> d) throws SQLException {
    d.refused = null;
    exec("SAVEPOINT derived");
    Op.Derived.Made<T> made;
    try {
      made = d.make.run(txn);
    } catch (RuntimeException e) {
      exec("ROLLBACK TO derived");
      exec("RELEASE derived");
      d.refused = e;
      return;
    }
    Op.Append a = null;
    if (!made.records().isEmpty()) {
      try {
        a = d.toAppend.apply(made.records());
      } catch (RuntimeException e) { // a record the outbox's rules refuse
        exec("ROLLBACK TO derived");
        exec("RELEASE derived");
        d.refused = e;
        return;
      }
      flush(insert(txn, a, 0));
    }
    if (a != null && a.refused != null) {
      exec("ROLLBACK TO derived");
      d.refused = a.refused;
    } else {
      d.result = made.result();
    }
    exec("RELEASE derived");
  }

  @SuppressWarnings("unchecked")
  private static void complete(Op op) {
    if (op instanceof Op.Append a) {
      if (a.refused != null) {
        a.future.completeExceptionally(a.refused);
      } else {
        a.future.complete(a.firstSeq);
      }
    } else if (op instanceof Op.Work<?> w) {
      ((CompletableFuture<Object>) w.future).complete(w.result);
    } else if (op instanceof Op.Derived<?> d) {
      if (d.refused != null) {
        d.future.completeExceptionally(d.refused);
      } else {
        ((CompletableFuture<Object>) d.future).complete(d.result);
      }
    }
  }

  /** Runs {@code work} in its own transaction on the writer thread (housekeeping, open). */
  <T> T inTransaction(Txn.Work<T> work) throws SQLException {
    for (int attempt = 0; ; attempt++) {
      // A fresh Txn per attempt: a retried attempt must not inherit the undo list of the last.
      Txn txn = new Txn(connection.connection(), config.clock().millis(), connection.statements());
      try {
        connection.synchronous(true);
        begin();
        T result = work.run(txn);
        finishTxn(txn, 0);
        afterCommit();
        return result;
      } catch (SQLException | RuntimeException e) {
        SQLException sql = rollback(txn, e);
        if (DiskReserve.isDiskFull(sql) && freeSpace(sql, true) && attempt == 0) {
          continue;
        }
        remeasure();
        throw e;
      }
    }
  }

  private void finishTxn(Txn txn, long records) throws SQLException {
    if (txn.deletedRows) {
      PreparedStatement hw = txn.prepare("UPDATE meta SET value = max(value, ?) WHERE key = 'last_seq'");
      hw.setLong(1, nextSeq - 1);
      hw.executeUpdate();
    }
    if (txn.delta.changesCumulative()) {
      PreparedStatement c = txn.prepare("INSERT INTO meta (value, key) VALUES (?, ?)"
          + " ON CONFLICT (key) DO UPDATE SET value = value + excluded.value");
      addCounter(c, "evicted", txn.delta.evicted);
      addCounter(c, "expired", txn.delta.expired);
      addCounter(c, "dead_lettered", txn.delta.deadLettered);
      addCounter(c, "purged", txn.delta.purged);
    }
    budget.measure(txn);
    fault.beforeCommit((int) records);
    exec("COMMIT");
    live.add(txn.delta);
  }

  private static void addCounter(PreparedStatement c, String key, long add) throws SQLException {
    if (add != 0) {
      c.setLong(1, add);
      c.setString(2, key);
      c.executeUpdate();
    }
  }

  private void begin() throws SQLException {
    exec("BEGIN IMMEDIATE");
  }

  private void exec(String sql) throws SQLException {
    connection.exec(sql);
  }

  /**
   * Rolls back (reopening a stuck connection) and first takes back the in-memory changes the
   * transaction made (leases), so memory matches the file; returns the SQLite error behind
   * {@code cause}, if any.
   */
  private SQLException rollback(Txn txn, Exception cause) {
    if (txn != null) {
      txn.undoInMemory();
    }
    if (insert != null) {
      try {
        insert.clearParameters();
        insert.clearBatch();
      } catch (SQLException e) {
        cause.addSuppressed(e);
      }
    }
    connection.rollBack(cause);
    SQLException sql = null;
    for (Throwable t = cause; t != null && sql == null; t = t.getCause()) {
      sql = t instanceof SQLException s ? s : null;
    }
    if (sql != null && (DiskReserve.isDiskFull(sql) || DiskReserve.isStorageError(sql))) {
      reserve.storageError(sql);
    }
    if (!reserve.full() || !DiskReserve.isDiskFull(sql)) {
      log.error("Outbox {}: transaction rolled back: {}", store, cause.toString());
    }
    return sql;
  }

  private void remeasure() {
    try {
      budget.measure(new Txn(connection.connection(), config.clock().millis(), connection.statements()));
    } catch (SQLException e) {
      log.warn("Outbox {}: cannot re-measure size after a failed commit: {}", store, e.toString());
    }
  }
}
