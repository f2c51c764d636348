package dev.outpost.server.internal;

import dev.outpost.sqlite.WalCheckpointer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps WAL checkpoints of the server store off the commit path: with SQLite's default
 * {@code wal_autocheckpoint}, the COMMIT that pushes the WAL past ~4 MiB copies the WAL into
 * {@code server.db} and fsyncs it while the ingest callers of that group wait for their answer.
 * The store's writer therefore runs with {@code wal_autocheckpoint=0}, and this class ticks the
 * shared {@link WalCheckpointer} every {@value #PERIOD_MILLIS} ms on its own thread and
 * connection; the writer's part (the {@link WalCheckpointer.Finisher}) runs between two groups on
 * the store's writer thread.
 *
 * <p>Thread-safety: the connection is used only on the timer thread (and by the writer's part,
 * under the checkpointer's own lock). {@link #close} stops the thread, waiting for a running
 * checkpoint, then closes the connection.
 */
final class SqliteCheckpointer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteCheckpointer.class);
  /** The uncopied WAL bytes above which a checkpoint runs, unless the store is opened with another. */
  static final long DEFAULT_WAL_BYTES = 16L << 20;
  static final long PERIOD_MILLIS = 20;
  static final String THREAD_PREFIX = "outpost-checkpoint ";

  private final Path db;
  private final WalCheckpointer checkpointer;
  private final ScheduledExecutorService timer;

  private SqliteCheckpointer(Path db, WalCheckpointer checkpointer) {
    this.db = db;
    this.checkpointer = checkpointer;
    this.timer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name(THREAD_PREFIX + db).daemon(true).factory());
  }

  /**
   * Opens its own connection to {@code db} and starts checking the WAL.
   *
   * @param finisher the writer's part; it calls {@link #checkpoint(Connection)} on the writer thread
   */
  static SqliteCheckpointer start(Path db, long thresholdBytes, WalCheckpointer.Finisher finisher) throws SQLException {
    if (thresholdBytes <= 0) {
      throw new IllegalArgumentException("thresholdBytes <= 0: " + thresholdBytes);
    }
    Connection c = SqliteStore.connect(db);
    SqliteCheckpointer checkpointer;
    try {
      checkpointer = new SqliteCheckpointer(db, new WalCheckpointer(db, c, () -> thresholdBytes, finisher, "SQLite store"));
    } catch (SQLException | RuntimeException e) {
      SqliteStore.closeQuietly(c);
      throw e;
    }
    checkpointer.timer.scheduleWithFixedDelay(
        checkpointer.checkpointer::tick, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    return checkpointer;
  }

  /** The writer's part: a PASSIVE checkpoint on the writer's connection, between two groups. */
  void checkpoint(Connection writer) throws SQLException {
    checkpointer.checkpoint(writer, "PASSIVE");
  }

  /** Stops the thread (letting a running checkpoint finish), then closes the connection. */
  @Override
  public void close() {
    timer.shutdown();
    try {
      if (!timer.awaitTermination(30, TimeUnit.SECONDS)) {
        // SQLite cannot be interrupted; the driver serializes close() after the running call
        LOG.warn("SQLite WAL checkpoint of {} still running after 30 s; closing anyway", db);
        timer.shutdownNow();
      }
    } catch (InterruptedException e) {
      timer.shutdownNow();
      Thread.currentThread().interrupt();
    }
    checkpointer.close();
  }
}
