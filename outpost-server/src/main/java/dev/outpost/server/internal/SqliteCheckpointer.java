package dev.outpost.server.internal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
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
 * runs with {@code wal_autocheckpoint=0}, and this class looks every {@value #PERIOD_MILLIS} ms,
 * on its own thread and connection, at how many bytes of the WAL are not yet copied
 * ({@code PRAGMA wal_checkpoint(NOOP)}, which copies nothing; SQLite 3.51+, the version the
 * driver ships). Once that passes the threshold:
 *
 * <ol>
 *   <li>it copies them with {@code PRAGMA wal_checkpoint(PASSIVE)}, which never blocks the writer
 *       or readers, again while the writer added more than an eighth of the threshold during the
 *       pass (at most {@value #MAX_PASSES} passes);
 *   <li>it asks the writer thread to copy the rest between two groups (the {@link Finisher}).
 *       A PASSIVE checkpoint copies only the frames that were there when it started, and SQLite
 *       restarts the WAL only when a write transaction begins with every frame copied: against a
 *       writer that commits back to back, background passes alone never got there, and the WAL
 *       grew for as long as ingest lasted (880 MB in a drain of 3M records).
 * </ol>
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
  /** The uncopied WAL bytes above which a checkpoint runs, unless the store is opened with another. */
  static final long DEFAULT_WAL_BYTES = 16L << 20;
  static final long PERIOD_MILLIS = 20;
  static final int MAX_PASSES = 4;
  static final String THREAD_PREFIX = "outpost-checkpoint ";
  /** A WAL frame's header, before each page. */
  private static final int FRAME_HEADER_BYTES = 24;

  /** The writer's part: copies what is left, on the writer thread, between two groups. */
  @FunctionalInterface
  interface Finisher {
    void finish();
  }

  private final Path wal;
  private final long thresholdBytes;
  private final Connection connection;
  private final long frameBytes;
  private final Finisher finisher;
  private final ScheduledExecutorService timer;
  private boolean failedOnce; // timer thread only

  private SqliteCheckpointer(Path db, long thresholdBytes, Connection connection, long pageSize, Finisher finisher) {
    this.wal = db.resolveSibling(db.getFileName() + "-wal");
    this.thresholdBytes = thresholdBytes;
    this.connection = connection;
    this.frameBytes = pageSize + FRAME_HEADER_BYTES;
    this.finisher = finisher;
    this.timer = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name(THREAD_PREFIX + db).daemon(true).factory());
  }

  /** Opens its own connection to {@code db} and starts checking the WAL. */
  static SqliteCheckpointer start(Path db, long thresholdBytes, Finisher finisher) throws SQLException {
    if (thresholdBytes <= 0) {
      throw new IllegalArgumentException("thresholdBytes <= 0: " + thresholdBytes);
    }
    Connection c = SqliteStore.connect(db);
    SqliteCheckpointer checkpointer;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA page_size")) {
      rs.next();
      checkpointer = new SqliteCheckpointer(db, thresholdBytes, c, rs.getLong(1), finisher);
    } catch (SQLException | RuntimeException e) {
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
      if (uncopiedBytes() < thresholdBytes) {
        return;
      }
      for (int pass = 0; pass < MAX_PASSES; pass++) {
        checkpoint("PASSIVE");
        if (uncopiedBytes() < thresholdBytes / 8) {
          break;
        }
      }
      // Even when the passes copied everything: the writer's transaction running meanwhile began
      // with frames not yet copied, so only a transaction begun after the finisher restarts the WAL.
      finisher.finish();
      failedOnce = false;
    } catch (Exception e) {
      if (!failedOnce && !timer.isShutdown()) {
        LOG.warn("SQLite WAL checkpoint of {} failed, will retry: {}", wal, e.toString());
        failedOnce = true;
      }
    }
  }

  /**
   * WAL bytes not yet copied into the database: {@code wal_checkpoint(NOOP)} answers (busy,
   * frames in the WAL, frames copied) without copying anything. 0 when busy (another checkpoint
   * runs: the next tick looks again).
   */
  private long uncopiedBytes() throws SQLException {
    long[] answer = checkpoint("NOOP");
    return answer[0] != 0 ? 0 : Math.max(0, answer[1] - answer[2]) * frameBytes;
  }

  /** Runs {@code PRAGMA wal_checkpoint(mode)}; its answer: busy (0 or 1), frames in the WAL, frames copied. */
  private long[] checkpoint(String mode) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
      if (!rs.next()) {
        throw new SQLException("PRAGMA wal_checkpoint(" + mode + ") gave no answer");
      }
      return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
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
