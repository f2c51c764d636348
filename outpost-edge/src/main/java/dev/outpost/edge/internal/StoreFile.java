package dev.outpost.edge.internal;

import dev.outpost.edge.OutboxStorageException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import dev.outpost.sqlite.Migrations;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the SQLite file of a store: creates it (schema and a random epoch in one transaction),
 * or reopens it; after an unclean stop runs {@code PRAGMA quick_check}. A file SQLite reports as
 * corrupt (or not a database) is moved aside as {@code outbox-corrupt-<time>.db} (never
 * deleted) with an error log line, and a fresh store with a new epoch is created in its place.
 * Any other error (permissions, full disk) fails the open and touches nothing.
 *
 * <p>Not thread-safe: used once per open.
 */
public final class StoreFile {
  private static final Logger log = LoggerFactory.getLogger(StoreFile.class);
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  /** Gives rows without a size (-1, see {@link Schema}) theirs. */
  private static final String FILL_IN_SIZES = "UPDATE records SET size = length(payload) WHERE size < 0";

  /** What open found: the write connection, the meta values, and how it got there. */
  record Opened(Connection connection, Map<String, Long> meta, boolean wasUnclean, int corruptMovedAside) {
    long meta(String key) {
      return meta.getOrDefault(key, 0L);
    }
  }

  private StoreFile() {}

  public static Path dbPath(Path dir) {
    return dir.resolve(Schema.DB_FILE);
  }

  static Opened open(Path dir, Clock clock) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new OutboxStorageException("cannot create outbox directory " + dir + ": " + e, e);
    }
    Path db = dbPath(dir);
    Connection c = null;
    try {
      c = connect(db);
      Opened opened = openExisting(c, db, clock);
      return opened;
    } catch (SQLException e) {
      closeQuietly(c);
      if (!isCorruption(e)) {
        throw new OutboxStorageException("cannot open outbox " + db + ": " + e.getMessage(), e);
      }
      Path aside = moveAside(dir, e.getMessage());
      try {
        Connection fresh = connect(db);
        Opened opened = openExisting(fresh, db, clock);
        log.error("Outbox {}: the old store was corrupt ({}) and was moved aside to {}; a fresh store"
            + " with new epoch {} was created", db, e.getMessage(), aside,
            Long.toUnsignedString(opened.meta("epoch"), 16));
        return new Opened(opened.connection(), opened.meta(), true, countCorrupt(dir));
      } catch (SQLException again) {
        throw new OutboxStorageException("cannot create a fresh outbox " + db + ": " + again.getMessage(), again);
      }
    }
  }

  private static Opened openExisting(Connection c, Path db, Clock clock) throws SQLException {
    try (Statement s = c.createStatement()) {
      writerPragmas(s);
      Map<String, Long> meta = readMeta(s);
      boolean created = !meta.containsKey("epoch");
      boolean unclean = !created && meta.getOrDefault("clean", 0L) != 1L;
      if (unclean) {
        try (ResultSet rs = s.executeQuery("PRAGMA quick_check")) {
          String first = rs.next() ? rs.getString(1) : "no result";
          if (!"ok".equals(first)) {
            throw new SQLException("quick_check after unclean stop: " + first, "corrupt", 11);
          }
        }
        log.warn("Outbox {} was not closed cleanly; integrity check passed, leased records are pending again", db);
      }
      s.execute("BEGIN IMMEDIATE");
      try {
        if (!created && meta.getOrDefault("format", 0L) != Schema.FORMAT) {
          throw new OutboxStorageException("outbox " + db + " has format " + meta.get("format")
              + ", this version reads format " + Schema.FORMAT + "; open it with a matching version", null);
        }
        Schema.MIGRATIONS.migrate(c, Migrations.Ledger.USER_VERSION, db.toString());
        if (created) {
          long epoch = Epochs.newEpoch();
          putMeta(c, "format", Schema.FORMAT);
          putMeta(c, "epoch", epoch);
          putMeta(c, "created_at", clock.millis());
          putMeta(c, "last_seq", 0);
          meta = readMeta(s);
        }
        putMeta(c, "clean", 0);
        s.execute("COMMIT");
      } catch (SQLException | RuntimeException e) {
        s.execute("ROLLBACK");
        throw e;
      }
      return new Opened(c, meta, unclean, countCorrupt(db.getParent()));
    }
  }

  /** A new write connection to an open store (after the old one got stuck), same pragmas. */
  static Connection reconnect(Path db) throws SQLException {
    Connection c = connect(db);
    try (Statement s = c.createStatement()) {
      writerPragmas(s);
    } catch (SQLException e) {
      closeQuietly(c);
      throw e;
    }
    return c;
  }

  /** Uncopied WAL bytes above which a background checkpoint runs, on a roomy file system. */
  static final long WAL_BYTES = 4L << 20;
  /** ... and the least, on a nearly full one. */
  static final long MIN_WAL_BYTES = 64L << 10;

  /**
   * The checkpoint threshold of the store {@code db}: {@value #WAL_BYTES} bytes, or a quarter of the
   * space left on its file system if that is less (at least {@value #MIN_WAL_BYTES}), so on a small
   * or nearly full disk the WAL does not eat the room the records need. Asked at every tick.
   */
  static LongSupplier walThreshold(Path db) {
    FileStore fileStore;
    try {
      fileStore = Files.getFileStore(db.toAbsolutePath().getParent());
    } catch (IOException e) {
      log.debug("cannot find the file system of {}; checkpointing by WAL size only: {}", db, e.toString());
      return () -> WAL_BYTES;
    }
    return () -> {
      try {
        return Math.max(MIN_WAL_BYTES, Math.min(WAL_BYTES, fileStore.getUsableSpace() / 4));
      } catch (IOException e) {
        return WAL_BYTES;
      }
    };
  }

  private static void writerPragmas(Statement s) throws SQLException {
    s.execute("PRAGMA page_size = 4096");
    s.execute("PRAGMA auto_vacuum = INCREMENTAL");
    s.execute("PRAGMA journal_mode = WAL");
    s.execute("PRAGMA synchronous = FULL");
    // A quarter of the checkpoint threshold: once the WAL restarts it is cut below the threshold.
    s.execute("PRAGMA journal_size_limit = " + WAL_BYTES / 4);
    s.execute("PRAGMA cache_size = -8192");
    s.execute("PRAGMA temp_store = MEMORY");
    s.execute("PRAGMA wal_autocheckpoint = 0");
  }

  /** Leased rows back to pending, counts recomputed once; returns the highest seq ever used. */
  static long recover(Connection write, Tally live, long savedLastSeq, String store) throws SQLException {
    long lastSeq = savedLastSeq;
    try (Statement s = write.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      int released = s.executeUpdate("UPDATE records SET state = 0, lease_until = 0 WHERE state = 1");
      s.execute("COMMIT");
      if (released > 0) {
        log.info("Outbox {}: {} records leased before the restart are pending again", store, released);
      }
      Tally counted = new Tally();
      if (!recount(s, counted)) {
        fillInSizes(s, store);
        counted = new Tally();
        recount(s, counted);
      }
      live.add(counted);
      try (ResultSet rs = s.executeQuery("SELECT count(*), coalesce(max(seq), 0) FROM dead_letters")) {
        rs.next();
        live.deadLetters = rs.getLong(1);
        lastSeq = Math.max(lastSeq, rs.getLong(2));
      }
      try (ResultSet rs = s.executeQuery("SELECT coalesce(max(seq), 0) FROM records")) {
        rs.next();
        lastSeq = Math.max(lastSeq, rs.getLong(1));
      }
    }
    return lastSeq;
  }

  /**
   * Stores made before the {@code size} column get it, and a drain index of another shape (none,
   * no size, or the earlier {@code length(payload)} expression) is rebuilt, once; rows without a
   * size get theirs before the index is built, so each row's index entry is written once. The
   * same format: a column with a default and an index; a version before reads and writes the
   * store as before (it puts its own index shape back, and its rows get -1: both are redone at
   * the next open by this one). Crash-safe: runs inside the opening transaction.
   */
  static void upgradeDrainIndex(Statement s) throws SQLException {
    boolean hasSize = false;
    try (ResultSet rs = s.executeQuery("SELECT 1 FROM pragma_table_info('records') WHERE name = 'size'")) {
      hasSize = rs.next();
    }
    String sql;
    try (ResultSet rs = s.executeQuery("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'records_drain'")) {
      sql = rs.next() ? rs.getString(1) : null;
    }
    if (!hasSize || sql == null || !sql.replace(" ", "").contains("(state,priority,seq,size)")) {
      long started = System.nanoTime();
      if (!hasSize) {
        s.execute(Schema.ADD_SIZE);
      }
      s.execute("DROP INDEX IF EXISTS records_drain");
      s.execute(FILL_IN_SIZES);
      s.execute(Schema.DRAIN_INDEX);
      log.info("Outbox: drain index rebuilt with the record size column in {} ms (once)",
          (System.nanoTime() - started) / 1_000_000);
    }
  }

  /**
   * Counts rows and bytes by state and priority into {@code live}, from the drain index alone;
   * false if some row has no size yet (-1), and then the bytes are not exact.
   */
  private static boolean recount(Statement s, Tally live) throws SQLException {
    boolean sized = true;
    try (ResultSet rs = s.executeQuery("SELECT state, priority, count(*), sum(size), sum(size < 0)"
        + " FROM records GROUP BY state, priority")) {
      while (rs.next()) {
        if (rs.getInt(1) == Schema.PENDING) {
          live.pending(rs.getInt(2), rs.getLong(3), rs.getLong(4));
        } else {
          live.retained += rs.getLong(3);
        }
        sized &= rs.getLong(5) == 0;
      }
    }
    return sized;
  }

  /**
   * Rows without a size that the upgrade at open did not meet get {@code length(payload)} (a
   * safety net: rows with -1 come from a version before the column, which also puts back its own
   * index shape, so the upgrade fills them in first). Reads the table once.
   */
  private static void fillInSizes(Statement s, String store) throws SQLException {
    long started = System.nanoTime();
    s.execute("BEGIN IMMEDIATE");
    int filled;
    try {
      filled = s.executeUpdate(FILL_IN_SIZES);
      s.execute("COMMIT");
    } catch (SQLException | RuntimeException e) {
      s.execute("ROLLBACK");
      throw e;
    }
    log.info("Outbox {}: record sizes filled in for {} rows in {} ms", store, filled,
        (System.nanoTime() - started) / 1_000_000);
  }

  /**
   * Stores made before leasing around excluded lanes scanned {@code records_drain} had a
   * {@code records_lane} index; nothing reads it any more and every append and ack paid for it,
   * so it is dropped once (inside the opening transaction: a crash leaves it either there or
   * gone, both readable). Its pages go to the freelist, which housekeeping vacuums.
   */
  static void dropLaneIndex(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'records_lane'")) {
      if (!rs.next()) {
        return;
      }
    }
    s.execute("DROP INDEX IF EXISTS records_lane");
    log.info("Outbox: lane index dropped (once; leases around excluded lanes scan the drain index)");
  }

  public static Connection connect(Path db) throws SQLException {
    Connection c = dev.outpost.sqlite.SqliteFiles.open(db);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout = 10000");
    }
    return c;
  }

  private static Map<String, Long> readMeta(Statement s) throws SQLException {
    Map<String, Long> meta = new HashMap<>();
    try (ResultSet rs = s.executeQuery("SELECT name FROM sqlite_master WHERE name = 'meta'")) {
      if (!rs.next()) {
        return meta;
      }
    }
    try (ResultSet rs = s.executeQuery("SELECT key, value FROM meta")) {
      while (rs.next()) {
        meta.put(rs.getString(1), rs.getLong(2));
      }
    }
    return meta;
  }

  public static void putMeta(Connection c, String key, long value) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")) {
      p.setString(1, key);
      p.setLong(2, value);
      p.executeUpdate();
    }
  }


  private static boolean isCorruption(SQLException e) {
    int code = e.getErrorCode() & 0xff;
    String m = String.valueOf(e.getMessage());
    return code == 11 || code == 26 || m.contains("SQLITE_CORRUPT") || m.contains("SQLITE_NOTADB");
  }

  private static Path moveAside(Path dir, String reason) {
    String stamp = STAMP.format(java.time.Instant.now());
    Path aside = dir.resolve("outbox-corrupt-" + stamp + ".db");
    for (int n = 1; Files.exists(aside); n++) {
      aside = dir.resolve("outbox-corrupt-" + stamp + "-" + n + ".db");
    }
    try {
      for (String suffix : List.of("", "-wal", "-shm")) {
        Path from = dir.resolve(Schema.DB_FILE + suffix);
        if (Files.exists(from)) {
          Files.move(from, aside.resolveSibling(aside.getFileName() + suffix), StandardCopyOption.ATOMIC_MOVE);
        }
      }
    } catch (IOException e) {
      throw new OutboxStorageException("outbox " + dbPath(dir) + " is corrupt (" + reason
          + ") and could not be moved aside to " + aside + ": " + e + "; move it away by hand", e);
    }
    return aside;
  }

  private static int countCorrupt(Path dir) {
    int n = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "outbox-corrupt-*.db")) {
      for (Path ignored : files) {
        n++;
      }
    } catch (IOException e) {
      log.warn("Cannot list {} to count corrupt stores moved aside: {}", dir, e.toString());
    }
    return n;
  }

  static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        log.debug("close failed", e);
      }
    }
  }
}
