package dev.outpost.edge.internal;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves WAL checkpoints off the commit path. The writer connection runs with
 * {@code wal_autocheckpoint=0}, so no append ever waits for a checkpoint inside its COMMIT;
 * instead this runs {@code PRAGMA wal_checkpoint(PASSIVE)} on its own connection whenever the WAL
 * has grown past {@value #WAL_BYTES} bytes, or past a quarter of the space left on the file
 * system (at least {@value #MIN_WAL_BYTES} bytes), so on a small or nearly full disk the WAL does
 * not eat the room the records need. PASSIVE never blocks the writer or readers; SQLite
 * restarts the WAL from its start at the next commit after a complete checkpoint. Durability is
 * unchanged: a checkpoint only copies committed pages into the database file.
 *
 * <p>Called from the housekeeping timer thread; {@link #lock} is shared with the housekeeper's
 * TRUNCATE checkpoint. {@link #close} after the timer stopped.
 */
final class Checkpointer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);
  static final long WAL_BYTES = 4L << 20;
  static final long MIN_WAL_BYTES = 64L << 10;

  /** Held while any checkpoint runs, so the housekeeper's TRUNCATE is never refused as busy. */
  final ReentrantLock lock = new ReentrantLock();
  private final Path wal;
  private final Connection connection;
  private final FileStore fileStore;
  private boolean failedOnce;

  Checkpointer(Path db) throws SQLException {
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

  /** Checkpoints if the WAL is large; never throws (a failure is logged once). */
  void maybeCheckpoint() {
    try {
      if (Files.size(wal) < threshold()) {
        return;
      }
      lock.lock();
      try (Statement s = connection.createStatement()) {
        s.execute("PRAGMA wal_checkpoint(PASSIVE)");
      } finally {
        lock.unlock();
      }
      failedOnce = false;
    } catch (java.nio.file.NoSuchFileException e) {
      // no WAL yet
    } catch (Exception e) {
      if (!failedOnce) {
        log.warn("Outbox WAL checkpoint of {} failed, will retry: {}", wal, e.toString());
        failedOnce = true;
      }
    }
  }

  @Override
  public void close() {
    StoreFile.closeQuietly(connection);
  }
}
