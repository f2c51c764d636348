package dev.outpost.edge.internal;

import dev.outpost.edge.OutboxDiskFullException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's answer to a full file system. Next to the database lies {@value #FILE}, a file of
 * {@value #BYTES} bytes written at open. When a write fails with {@code SQLITE_FULL} the store
 * turns <em>disk full</em>. The reserve is kept while only appends fail (another program may be
 * filling the disk too); when a lease, ack or housekeeping transaction fails with SQLITE_FULL it
 * is deleted ({@link #release}), which gives SQLite room to commit those (a delete needs WAL
 * space too), so the backlog can drain even when the disk is completely full. Appends are
 * refused with {@link OutboxDiskFullException} while disk full; at most every
 * {@value #PROBE_MILLIS} ms an append attempt probes the file system, and once there is room for
 * twice the reserve the reserve is written again and appends are accepted: no restart needed.
 *
 * <p>Classification of SQLite errors: primary code 13 ({@code SQLITE_FULL}) is a full disk;
 * primary code 10 ({@code SQLITE_IOERR} and its extended codes) is a storage error.
 *
 * <p>Thread-safe: {@link #refusal} and {@link #diskFull} run under the commit lock; the
 * counters and the state are volatile/atomic for {@code stats()}. Crash behaviour: the reserve
 * holds no data; a missing or short one is written again at the next open or probe.
 */
final class DiskReserve {
  private static final Logger log = LoggerFactory.getLogger(DiskReserve.class);
  static final String FILE = "outbox.reserve";
  static final int BYTES = 512 * 1024;
  static final long PROBE_MILLIS = 250;
  private static final int SQLITE_IOERR = 10;
  private static final int SQLITE_FULL = 13;

  private final Path file;
  private final String store;
  private final AtomicLong refusals = new AtomicLong();
  private volatile boolean full;
  private volatile String lastError;
  private volatile String lastFullMessage = "database or disk is full";
  private long nextProbeNanos;

  DiskReserve(Path dir, String store) {
    this.file = dir.resolve(FILE);
    this.store = store;
    if (!write()) {
      log.warn("Outbox {}: cannot write the {} disk reserve {} (file system full?); appends are"
          + " refused until there is room for it", store, Budget.mib(BYTES), file);
      full = true;
    }
  }

  static boolean isDiskFull(Throwable e) {
    return e instanceof SQLException s
        && ((s.getErrorCode() & 0xff) == SQLITE_FULL || String.valueOf(s.getMessage()).contains("SQLITE_FULL"));
  }

  static boolean isStorageError(Throwable e) {
    return e instanceof SQLException s
        && ((s.getErrorCode() & 0xff) == SQLITE_IOERR || String.valueOf(s.getMessage()).contains("SQLITE_IOERR"));
  }

  boolean full() {
    return full;
  }

  long refusals() {
    return refusals.get();
  }

  String lastError() {
    return lastError;
  }

  /** Remembers a storage error for stats (a full disk or an I/O error). */
  void storageError(SQLException e) {
    if (isDiskFull(e)) {
      lastFullMessage = e.getMessage();
    }
    lastError = (isDiskFull(e) ? "disk full at " : "storage error at ") + store + ": " + e.getMessage();
  }

  /** A write failed with SQLITE_FULL: the store is disk full (logged once per episode). */
  void diskFull(SQLException e) {
    storageError(e);
    if (!full) {
      full = true;
      nextProbeNanos = System.nanoTime() + PROBE_MILLIS * 1_000_000;
      log.error("Outbox {}: the file system is full ({}); appends are refused until space returns,"
          + " deliveries go on", store, e.getMessage());
    }
  }

  /**
   * A lease, ack or housekeeping transaction needs room on a full disk: deletes the reserve.
   * Returns true if that freed space (false when it was already gone).
   */
  boolean release() {
    try {
      if (Files.deleteIfExists(file)) {
        log.warn("Outbox {}: released the {} disk reserve so the backlog can drain", store, Budget.mib(BYTES));
        return true;
      }
    } catch (IOException e) {
      log.warn("Outbox {}: cannot delete the disk reserve {}: {}", store, file, e.toString());
    }
    return false;
  }

  /**
   * Null if appends may go on, else the exception to refuse one with (counted). While disk full,
   * probes at most every {@value #PROBE_MILLIS} ms whether the reserve fits again.
   */
  OutboxDiskFullException refusal(SQLException cause) {
    if (cause == null && full && System.nanoTime() - nextProbeNanos >= 0) {
      nextProbeNanos = System.nanoTime() + PROBE_MILLIS * 1_000_000;
      if (usableSpace() >= 2L * BYTES && write()) {
        full = false;
        log.info("Outbox {}: space returned ({} free), the disk reserve is back; appends are accepted again",
            store, Budget.mib(usableSpace()));
      }
    }
    if (cause == null && !full) {
      return null;
    }
    refusals.incrementAndGet();
    String why = cause != null ? cause.getMessage() : lastFullMessage;
    return new OutboxDiskFullException("outbox full: disk full at " + store + " (SQLITE_FULL: " + why + "); "
        + Budget.mib(usableSpace()) + " free on that file system. Appends are refused until space"
        + " returns: deliver the backlog or free space there; the outbox resumes by itself", cause);
  }

  private long usableSpace() {
    try {
      return Files.getFileStore(file.getParent()).getUsableSpace();
    } catch (IOException e) {
      return 0;
    }
  }

  /** Writes the reserve (zeros, fsync'd); false and nothing left behind if it does not fit. */
  private boolean write() {
    try {
      if (Files.isRegularFile(file) && Files.size(file) == BYTES) {
        return true;
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer zeros = ByteBuffer.allocate(64 * 1024);
        for (int written = 0; written < BYTES; written += zeros.capacity()) {
          zeros.clear();
          while (zeros.hasRemaining()) {
            ch.write(zeros);
          }
        }
        ch.force(true);
      }
      return true;
    } catch (IOException e) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // nothing more to free
      }
      return false;
    }
  }
}
