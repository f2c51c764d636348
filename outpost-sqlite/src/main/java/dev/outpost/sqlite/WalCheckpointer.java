package dev.outpost.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps WAL checkpoints of a single-writer SQLite store off the commit path and the WAL bounded.
 * The outbox and the server store both use it; their writers run with
 * {@code wal_autocheckpoint=0}, so no commit waits for a checkpoint, and their timers call
 * {@link #tick()}.
 *
 * <p>One tick asks SQLite how many WAL bytes are not yet copied into the database
 * ({@code PRAGMA wal_checkpoint(NOOP)}, which copies nothing; SQLite 3.51+, the version the
 * driver ships). Once that passes the threshold:
 *
 * <ol>
 *   <li>it copies them with {@code wal_checkpoint(PASSIVE)} on its own connection, which never
 *       blocks the writer or readers, again while the writer added more than an eighth of the
 *       threshold during the pass (at most {@value #MAX_PASSES} passes);
 *   <li>it asks the writer, through the {@link Finisher}, to copy the rest between two commits.
 *       A PASSIVE checkpoint copies only the frames there when it starts, and SQLite restarts the
 *       WAL only when a write transaction begins with every frame copied: against a writer that
 *       commits back to back, background passes alone never got there, and the WAL grew for as
 *       long as the load lasted (880 MB in a server drain of 3M records, hundreds of MB in an
 *       outbox).
 * </ol>
 *
 * <p>Durability is unchanged: a commit is durable once its frames are fsynced in the WAL; a
 * checkpoint only copies committed pages into the database file, and a crash during one is
 * recovered from the WAL at the next open.
 *
 * <p>Thread-safety: {@link #tick()} from one timer thread at a time. Every checkpoint this
 * class runs, and every one the owner runs through {@link #checkpoint(Connection, String)} (the
 * finisher's, a housekeeping TRUNCATE), holds one private lock, so none of them is refused as
 * busy by another. A failure is logged once (until a checkpoint succeeds again) and retried at the
 * next tick; {@link #tick()} never throws. {@link #close()} closes the connection; stop the timer
 * first.
 */
public final class WalCheckpointer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WalCheckpointer.class);
  /** Background passes per tick at most, while the writer added an eighth of the threshold. */
  public static final int MAX_PASSES = 4;
  /** A WAL frame's header, before each page. */
  private static final int FRAME_HEADER_BYTES = 24;

  /**
   * The writer's part: copies, on the writer's thread and between two commits, the frames added
   * during the passes, with {@link WalCheckpointer#checkpoint(Connection, String)}. May queue that
   * work and return at once.
   */
  @FunctionalInterface
  public interface Finisher {
    void finish();
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Path wal;
  private final Connection connection;
  private final long frameBytes;
  private final LongSupplier thresholdBytes;
  private final Finisher finisher;
  private final String what;
  private boolean failedOnce; // the ticking thread only

  /**
   * @param db the database file
   * @param connection a connection of its own to {@code db}, used only for checkpoints and closed
   *     by {@link #close()}
   * @param thresholdBytes the uncopied WAL bytes above which a tick checkpoints (asked at every tick,
   *     so it may follow the free space of the file system)
   * @param finisher the writer's part
   * @param what the store, for log lines ("Outbox", "SQLite store")
   */
  public WalCheckpointer(Path db, Connection connection, LongSupplier thresholdBytes, Finisher finisher, String what)
      throws SQLException {
    this.wal = db.resolveSibling(db.getFileName() + "-wal");
    this.connection = connection;
    this.thresholdBytes = thresholdBytes;
    this.finisher = finisher;
    this.what = what;
    try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("PRAGMA page_size")) {
      rs.next();
      this.frameBytes = rs.getLong(1) + FRAME_HEADER_BYTES;
    }
  }

  /** Checkpoints if much of the WAL is not yet copied; never throws. */
  public void tick() {
    try {
      long threshold = thresholdBytes.getAsLong();
      lock.lock();
      try {
        if (uncopiedBytes() < threshold) {
          return;
        }
        for (int pass = 0; pass < MAX_PASSES; pass++) {
          pragma(connection, "PASSIVE");
          if (uncopiedBytes() < threshold / 8) {
            break;
          }
        }
      } finally {
        lock.unlock();
      }
      // Even when the passes copied everything: the writer's transaction running meanwhile began
      // with frames not yet copied, so only a transaction begun after the finisher restarts the WAL.
      finisher.finish();
      failedOnce = false;
    } catch (Exception e) {
      if (!failedOnce) {
        LOG.warn("{} WAL checkpoint of {} failed, will retry: {}", what, wal, e.toString());
        failedOnce = true;
      }
    }
  }

  /**
   * Runs {@code PRAGMA wal_checkpoint(mode)} on the owner's connection (the writer's), never at
   * the same time as another checkpoint of this store; true unless SQLite answered busy (a reader
   * still uses older frames: the next checkpoint copies them).
   */
  public boolean checkpoint(Connection writer, String mode) throws SQLException {
    lock.lock();
    try {
      return pragma(writer, mode)[0] == 0;
    } finally {
      lock.unlock();
    }
  }

  /** WAL bytes not yet copied into the database; 0 while another checkpoint runs. */
  private long uncopiedBytes() throws SQLException {
    long[] answer = pragma(connection, "NOOP");
    return answer[0] != 0 ? 0 : Math.max(0, answer[1] - answer[2]) * frameBytes;
  }

  /** {@code PRAGMA wal_checkpoint(mode)}: busy (0 or 1), frames in the WAL, frames copied. */
  private static long[] pragma(Connection c, String mode) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
      if (!rs.next()) {
        throw new SQLException("PRAGMA wal_checkpoint(" + mode + ") gave no answer");
      }
      return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
    }
  }

  /** Closes the connection; a running checkpoint finishes first (the driver serializes close). */
  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      LOG.debug("closing the checkpoint connection of {}: {}", wal, e.toString());
    }
  }
}
