package dev.outpost.edge.internal;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves WAL checkpoints off the commit path. The writer connection runs with
 * {@code wal_autocheckpoint=0}, so no append ever waits for a checkpoint inside its COMMIT;
 * instead this runs {@code PRAGMA wal_checkpoint(PASSIVE)} on its own connection whenever more
 * than {@value #WAL_BYTES} bytes of the WAL are not yet copied (asked with
 * {@code wal_checkpoint(NOOP)}, which copies nothing), or more than a quarter of the space left
 * on the file system (at least {@value #MIN_WAL_BYTES} bytes), so on a small or nearly full disk
 * the WAL does not eat the room the records need. PASSIVE never blocks the writer or readers.
 *
 * <p>A PASSIVE checkpoint copies only the frames there when it starts, and SQLite restarts the
 * WAL from its start only when a write transaction begins with every frame copied: against a
 * writer that commits back to back (a drain's acks, a burst of appends) that did not happen,
 * and the WAL grew until the next housekeeping run cut it (tens to hundreds of MB). So after
 * its passes this asks the writer thread, through the {@link Finisher}, to copy the frames
 * added meanwhile between two commits; the writer's next transaction then restarts the WAL.
 * Durability is unchanged: a checkpoint only copies committed pages into the database file.
 *
 * <p>Called from the housekeeping timer thread; {@link #lock} is shared with the housekeeper's
 * TRUNCATE checkpoint. {@link #close} after the timer stopped.
 */
final class Checkpointer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);
  static final long WAL_BYTES = 4L << 20;
  static final long MIN_WAL_BYTES = 64L << 10;
  /** Background passes per checkpoint at most, while the writer added an eighth of the threshold. */
  static final int MAX_PASSES = 4;
  /** A WAL frame: a 24-byte header and a page ({@code page_size} 4096, see {@link Schema}). */
  private static final long FRAME_BYTES = 24 + 4096;

  /** Asks the writer thread to copy the frames left (queued there; must not wait for it). */
  @FunctionalInterface
  interface Finisher {
    void finish();
  }

  /** Held while any checkpoint runs, so the housekeeper's TRUNCATE is never refused as busy. */
  final ReentrantLock lock = new ReentrantLock();
  private final Path wal;
  private final Connection connection;
  private final FileStore fileStore;
  private final Finisher finisher;
  private boolean failedOnce;

  Checkpointer(Path db, Finisher finisher) throws SQLException {
    this.finisher = finisher;
    this.wal = db.resolveSibling(db.getFileName() + "-wal");
    this.connection = StoreFile.connect(db);
    FileStore found = null;
    try {
      found = Files.getFileStore(db.toAbsolutePath().getParent());
    } catch (IOException e) {
      log.debug("cannot find the file system of {}; checkpointing by WAL size only: {}", db, e.toString());
    }
    this.fileStore = found;
  }

  private long threshold() {
    if (fileStore == null) {
      return WAL_BYTES;
    }
    try {
      return Math.max(MIN_WAL_BYTES, Math.min(WAL_BYTES, fileStore.getUsableSpace() / 4));
    } catch (IOException e) {
      return WAL_BYTES;
    }
  }

  /** Checkpoints if much of the WAL is not yet copied; never throws (a failure is logged once). */
  void maybeCheckpoint() {
    try {
      long threshold = threshold();
      lock.lock();
      try {
        if (uncopiedBytes() < threshold) {
          return;
        }
        for (int pass = 0; pass < MAX_PASSES; pass++) {
          checkpoint("PASSIVE");
          if (uncopiedBytes() < threshold / 8) {
            break;
          }
        }
      } finally {
        lock.unlock();
      }
      // Even when the passes copied everything: the writer's transaction running meanwhile began
      // with frames not yet copied, so only one begun after the finisher restarts the WAL.
      finisher.finish();
      failedOnce = false;
    } catch (Exception e) {
      if (!failedOnce) {
        log.warn("Outbox WAL checkpoint of {} failed, will retry: {}", wal, e.toString());
        failedOnce = true;
      }
    }
  }

  /** WAL bytes not yet copied into the database; 0 while another checkpoint runs. */
  private long uncopiedBytes() throws SQLException {
    long[] answer = checkpoint("NOOP");
    return answer[0] != 0 ? 0 : Math.max(0, answer[1] - answer[2]) * FRAME_BYTES;
  }

  /** {@code PRAGMA wal_checkpoint(mode)}: busy (0 or 1), frames in the WAL, frames copied. */
  private long[] checkpoint(String mode) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
      if (!rs.next()) {
        throw new SQLException("PRAGMA wal_checkpoint(" + mode + ") gave no answer");
      }
      return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
    }
  }

  @Override
  public void close() {
    StoreFile.closeQuietly(connection);
  }
}
