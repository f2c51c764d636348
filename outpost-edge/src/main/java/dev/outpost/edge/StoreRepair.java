package dev.outpost.edge;

import dev.outpost.edge.internal.Epochs;
import dev.outpost.edge.internal.Schema;
import dev.outpost.edge.internal.StoreFile;
import dev.outpost.sqlite.Migrations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
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
import java.util.function.Consumer;

/**
 * Repairs for {@code outpost doctor --repair}, run only while no agent holds the data dir (the
 * caller holds {@code agent.lock}).
 *
 * <p>{@link #vacuum} rebuilds a sound store to return free pages to the file system.
 *
 * <p>{@link #salvage} copies every readable row of a damaged store into a fresh store file, by
 * seq windows (a window that fails is retried row by row, so one bad page loses only its rows),
 * then moves the damaged file aside as {@code outbox-damaged-<time>.db} (never deleted) and puts
 * the fresh one in its place. The fresh store keeps the old epoch when the meta row is readable,
 * else gets a new random one; its {@code last_seq} is at least the old one, so no seq is ever
 * reused. Leased records become pending. A crash during salvage leaves the damaged store in
 * place (the half-written fresh file is named {@code outbox-salvage-*.db}). Not thread-safe.
 */
public final class StoreRepair {
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final int WINDOW = 1000;
  private static final String RECORD_COLS =
      "seq, topic, priority, ts, expires_at, headers, payload, state, lease_until, attempts";
  private static final String DEAD_COLS = "seq, topic, priority, ts, headers, payload, reason, attempts, dead_at";

  /** What salvage did. */
  public record Salvage(long epoch, boolean epochKept, long lastSeq, long records, long deadLetters,
      long unreadable, Path movedAside) {}

  private StoreRepair() {}

  /** Checkpoints the WAL and VACUUMs; returns the file bytes before and after. */
  public static long[] vacuum(Path dataDir) throws SQLException, IOException {
    Path db = StoreFile.dbPath(dataDir);
    long before = Files.size(db) + walSize(db);
    try (Connection c = StoreFile.connect(db); Statement s = c.createStatement()) {
      s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
      s.execute("VACUUM");
      s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    return new long[] {before, Files.size(db) + walSize(db)};
  }

  /** Salvages {@code dataDir/outbox.db} into a fresh store (see the class comment). */
  public static Salvage salvage(Path dataDir, Clock clock, Consumer<String> progress)
      throws SQLException, IOException {
    Path db = StoreFile.dbPath(dataDir);
    String stamp = STAMP.format(clock.instant());
    Path fresh = dataDir.resolve("outbox-salvage-" + stamp + ".db");
    Files.deleteIfExists(fresh); // only ever our own leftover from an interrupted salvage
    Map<String, Long> meta = new HashMap<>();
    long records;
    long dead;
    long[] unreadable = {0};
    long maxSeq;
    try (Connection old = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath());
        Connection out = StoreFile.connect(fresh)) {
      try (Statement s = old.createStatement()) {
        s.execute("PRAGMA query_only = 1");
      }
      readMeta(old, meta, progress);
      createSchema(out);
      long upper = Math.max(meta.getOrDefault("last_seq", 0L),
          Math.max(maxSeq(old, "records", progress), maxSeq(old, "dead_letters", progress)));
      records = copy(old, out, "records", RECORD_COLS, 10, upper, unreadable, progress);
      dead = copy(old, out, "dead_letters", DEAD_COLS, 9, upper, unreadable, progress);
      maxSeq = upper;
      boolean kept = meta.getOrDefault("epoch", 0L) != 0L;
      long epoch = kept ? meta.get("epoch") : Epochs.newEpoch();
      out.setAutoCommit(false);
      try (Statement s = out.createStatement()) {
        s.executeUpdate("UPDATE records SET state = " + Schema.PENDING + ", lease_until = 0 WHERE state = "
            + Schema.LEASED);
      }
      StoreFile.putMeta(out, "format", Schema.FORMAT);
      StoreFile.putMeta(out, "epoch", epoch);
      StoreFile.putMeta(out, "created_at", clock.millis());
      StoreFile.putMeta(out, "last_seq", maxSeq);
      for (String counter : List.of("evicted", "expired", "dead_lettered", "purged")) {
        StoreFile.putMeta(out, counter, meta.getOrDefault(counter, 0L));
      }
      StoreFile.putMeta(out, "salvage_lost", meta.getOrDefault("salvage_lost", 0L) + unreadable[0]);
      StoreFile.putMeta(out, "clean", 1);
      out.commit();
      out.setAutoCommit(true);
      try (Statement s = out.createStatement()) {
        s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
      }
      Path aside = moveAside(dataDir, stamp);
      Files.move(fresh, db, StandardCopyOption.ATOMIC_MOVE);
      for (String suffix : List.of("-wal", "-shm")) {
        Path f = fresh.resolveSibling(fresh.getFileName() + suffix);
        if (Files.exists(f)) {
          Files.move(f, db.resolveSibling(db.getFileName() + suffix), StandardCopyOption.ATOMIC_MOVE);
        }
      }
      return new Salvage(epoch, kept, maxSeq, records, dead, unreadable[0], aside);
    }
  }

  private static void readMeta(Connection old, Map<String, Long> meta, Consumer<String> progress) {
    try (Statement s = old.createStatement(); ResultSet rs = s.executeQuery("SELECT key, value FROM meta")) {
      while (rs.next()) {
        meta.put(rs.getString(1), rs.getLong(2));
      }
    } catch (SQLException e) {
      meta.clear();
      progress.accept("meta table unreadable (" + e.getMessage() + "): the fresh store gets a new epoch");
    }
  }

  private static long maxSeq(Connection old, String table, Consumer<String> progress) {
    try (Statement s = old.createStatement();
        ResultSet rs = s.executeQuery("SELECT coalesce(max(seq), 0) FROM " + table)) {
      return rs.next() ? rs.getLong(1) : 0;
    } catch (SQLException e) {
      progress.accept("cannot read the highest seq of " + table + ": " + e.getMessage());
      return 0;
    }
  }

  private static void createSchema(Connection out) throws SQLException {
    try (Statement s = out.createStatement()) {
      s.execute("PRAGMA page_size = 4096");
      s.execute("PRAGMA auto_vacuum = INCREMENTAL");
      s.execute("PRAGMA journal_mode = WAL");
      s.execute("PRAGMA synchronous = FULL");
    }
    out.setAutoCommit(false);
    Schema.MIGRATIONS.migrate(out, Migrations.Ledger.USER_VERSION, "salvage target");
    out.commit();
    out.setAutoCommit(true);
  }

  /** Copies rows with seq in [1, upper] window by window; returns rows copied. */
  private static long copy(Connection old, Connection out, String table, String cols, int n, long upper,
      long[] unreadable, Consumer<String> progress) throws SQLException {
    String marks = "?" + ", ?".repeat(n - 1);
    long copied = 0;
    out.setAutoCommit(false);
    try (PreparedStatement range = old.prepareStatement(
            "SELECT " + cols + " FROM " + table + " WHERE seq >= ? AND seq < ? ORDER BY seq");
        PreparedStatement one = old.prepareStatement("SELECT " + cols + " FROM " + table + " WHERE seq = ?");
        PreparedStatement insert = out.prepareStatement(
            "INSERT OR IGNORE INTO " + table + " (" + cols + ") VALUES (" + marks + ")")) {
      for (long from = 1; from <= upper; from += WINDOW) {
        try {
          copied += copyRows(range, insert, n, from, from + WINDOW);
        } catch (SQLException windowFailed) {
          insert.clearBatch();
          for (long seq = from; seq < from + WINDOW && seq <= upper; seq++) {
            try {
              one.setLong(1, seq);
              copied += copyRows(one, insert, n, seq, -1);
            } catch (SQLException rowFailed) {
              insert.clearBatch();
              unreadable[0]++;
            }
          }
        }
        out.commit();
        if ((from / WINDOW) % 50 == 0 || from + WINDOW > upper) {
          progress.accept(table + ": seq " + Math.min(from + WINDOW - 1, upper) + " of " + upper + ", "
              + copied + " copied, " + unreadable[0] + " unreadable so far");
        }
      }
    } finally {
      out.setAutoCommit(true);
    }
    return copied;
  }

  private static int copyRows(PreparedStatement select, PreparedStatement insert, int n, long from, long to)
      throws SQLException {
    if (to >= 0) {
      select.setLong(1, from);
      select.setLong(2, to);
    }
    int payloadCol = n == 10 ? 7 : 6; // records vs dead_letters column lists above
    int rows = 0;
    try (ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        if (rs.getInt(3) < 0 || rs.getInt(3) > 3 || rs.getString(2) == null || rs.getBytes(payloadCol) == null) {
          throw new SQLException("row " + rs.getLong(1) + " has impossible values");
        }
        for (int i = 1; i <= n; i++) {
          insert.setObject(i, rs.getObject(i));
        }
        insert.addBatch();
        rows++;
      }
    }
    insert.executeBatch();
    return rows;
  }

  private static Path moveAside(Path dataDir, String stamp) throws IOException {
    Path aside = dataDir.resolve("outbox-damaged-" + stamp + ".db");
    for (int i = 1; Files.exists(aside); i++) {
      aside = dataDir.resolve("outbox-damaged-" + stamp + "-" + i + ".db");
    }
    for (String suffix : List.of("", "-wal", "-shm")) {
      Path from = dataDir.resolve(Schema.DB_FILE + suffix);
      if (Files.exists(from)) {
        Files.move(from, aside.resolveSibling(aside.getFileName() + suffix), StandardCopyOption.ATOMIC_MOVE);
      }
    }
    return aside;
  }

  private static long walSize(Path db) throws IOException {
    Path wal = db.resolveSibling(db.getFileName() + "-wal");
    return Files.exists(wal) ? Files.size(wal) : 0;
  }

}
