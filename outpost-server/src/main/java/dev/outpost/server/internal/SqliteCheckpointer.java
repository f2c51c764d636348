package dev.outpost.server.internal;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps WAL checkpoints of the server store off the commit path. With SQLite's default
 * {@code wal_autocheckpoint}, the COMMIT that pushes the WAL past ~4 MiB copies the WAL into
 * {@code server.db} and fsyncs it while the ingest callers of that group wait for their answer;
 * during a drain of large batches that was every second batch or so. The store's writer therefore
 * runs with {@code wal_autocheckpoint=0}, and this class checks the WAL's size every
 * {@value #PERIOD_MILLIS} ms on its own thread and connection, and runs
 * {@code PRAGMA wal_checkpoint(PASSIVE)} once it has passed the threshold. PASSIVE never blocks
 * the writer or readers; after a complete checkpoint SQLite restarts the WAL from its start at
 * the next commit (and cuts the file to the writer's {@code journal_size_limit}), so it stops
 * growing.
 *
 * <p>Durability is unchanged: a commit is durable once its frames are fsynced in the WAL
 * ({@code synchronous=FULL}); a checkpoint only copies committed pages into the database file,
 * and a crash during one is recovered from the WAL at the next open.
 *
 * <p>Thread-safety: the connection is used only on the timer thread. A failure is logged once
 * (until a checkpoint succeeds again) and retried at the next tick; it never stops the timer.
 * {@link #close} stops the thread, waiting for a running checkpoint, then closes the connection.
 */
final class SqliteCheckpointer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteCheckpointer.class);
  /** The WAL size above which a checkpoint runs, unless the store is opened with another. */
  static final long DEFAULT_WAL_BYTES = 16L << 20;
  static final long PERIOD_MILLIS = 100;
  static final String THREAD_PREFIX = "outpost-checkpoint ";

  private final Path wal;
  private final long thresholdBytes;
  private final Connection connection;
  private final ScheduledExecutorService timer;
  private boolean failedOnce; // timer thread only

  private SqliteCheckpointer(Path db, long thresholdBytes, Connection connection) {
    this.wal = db.resolveSibling(db.getFileName() + "-wal");
    this.thresholdBytes = thresholdBytes;
    this.connection = connection;
    this.timer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name(THREAD_PREFIX + db).daemon(true).factory());
  }

  /** Opens its own connection to {@code db} and starts checking the WAL. */
  static SqliteCheckpointer start(Path db, long thresholdBytes) throws SQLException {
    if (thresholdBytes <= 0) {
      throw new IllegalArgumentException("thresholdBytes <= 0: " + thresholdBytes);
    }
    Connection c = SqliteStore.connect(db);
    SqliteCheckpointer checkpointer;
    try {
      checkpointer = new SqliteCheckpointer(db, thresholdBytes, c);
    } catch (RuntimeException e) {
      SqliteStore.closeQuietly(c);
      throw e;
    }
    checkpointer.timer.scheduleWithFixedDelay(
        checkpointer::checkpointIfLarge, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    return checkpointer;
  }

  /** One tick; never throws, since an exception would silently cancel the schedule. */
  private void checkpointIfLarge() {
    try {
      if (Files.size(wal) < thresholdBytes) {
        return;
      }
      try (Statement s = connection.createStatement()) {
        // Answers (busy, frames in WAL, frames copied); a partial copy is simply continued
        // at the next tick, so the answer is not needed.
        s.execute("PRAGMA wal_checkpoint(PASSIVE)");
      }
      failedOnce = false;
    } catch (NoSuchFileException e) {
      // no WAL (yet): nothing to checkpoint
    } catch (Exception e) {
      if (!failedOnce) {
        LOG.warn("SQLite WAL checkpoint of {} failed, will retry: {}", wal, e.toString());
        failedOnce = true;
      }
    }
  }

  /** Stops the thread (letting a running checkpoint finish), then closes the connection. */
  @Override
  public void close() {
    timer.shutdown();
    try {
      if (!timer.awaitTermination(30, TimeUnit.SECONDS)) {
        // SQLite cannot be interrupted; the driver serializes close() after the running call
        LOG.warn("SQLite WAL checkpoint of {} still running after 30 s; closing anyway", wal);
        timer.shutdownNow();
      }
    } catch (InterruptedException e) {
      timer.shutdownNow();
      Thread.currentThread().interrupt();
    }
    SqliteStore.closeQuietly(connection);
  }
}
