package dev.outpost.edge;

import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.edge.internal.DeadLetterRows;
import dev.outpost.edge.internal.Schema;
import dev.outpost.edge.internal.StoreFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Read-only and maintenance access to an outbox store file ({@link Schema}) for the operator
 * commands ({@code outpost status, inspect, dlq list, doctor}), with or without an agent running
 * on it. Reads use their own connection with {@code query_only}: in WAL mode they see the last
 * committed state and never block the agent's writer. Leases live only in the agent's memory, so
 * records in flight count as pending here (in-flight is 0 unless the store predates that). Opening
 * never creates a store: a missing {@code outbox.db} is an error. Not thread-safe; one instance
 * per command.
 */
public final class StoreMaintenance implements AutoCloseable {
  /** One row of the records table, for {@code outpost inspect}. */
  public record Row(long seq, String topic, Priority priority, long ts, String state, int attempts,
      byte[] payload, String reason) {}

  /** Space on disk: file bytes, live bytes, and what a vacuum would give back. */
  public record Space(long fileBytes, long walBytes, long liveBytes, long reclaimableBytes, long pageSize) {}

  private final Path dir;
  private final Connection c;

  private StoreMaintenance(Path dir, Connection c) {
    this.dir = dir;
    this.c = c;
  }

  /** The store file in a data dir. */
  public static Path dbFile(Path dataDir) {
    return StoreFile.dbPath(dataDir);
  }

  /** Opens {@code dataDir/outbox.db} for reading; throws naming the file if it is not there. */
  public static StoreMaintenance open(Path dataDir) throws SQLException {
    Path db = StoreFile.dbPath(dataDir);
    if (!Files.isRegularFile(db)) {
      throw new IllegalStateException("no outbox store in " + dataDir + " (" + db + " does not exist)");
    }
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath());
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout = 10000");
      s.execute("PRAGMA query_only = 1");
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return new StoreMaintenance(dataDir, c);
  }

  /** The meta table: epoch, last_seq, counters, clean flag. */
  public Map<String, Long> meta() throws SQLException {
    Map<String, Long> meta = new HashMap<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT key, value FROM meta")) {
      while (rs.next()) {
        meta.put(rs.getString(1), rs.getLong(2));
      }
    }
    return meta;
  }

  /** Stats computed with table scans (exact, slower than the live outbox's); budget as given. */
  public OutboxStats stats(long budgetBytes, long nowMillis) throws SQLException {
    Map<Priority, Long> count = new EnumMap<>(Priority.class);
    Map<Priority, Long> bytes = new EnumMap<>(Priority.class);
    for (Priority p : Priority.values()) {
      count.put(p, 0L);
      bytes.put(p, 0L);
    }
    long inFlight = 0;
    long oldest = Long.MAX_VALUE;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT state, priority, count(*), sum(length(payload)), min(ts)"
            + " FROM records GROUP BY state, priority")) {
      while (rs.next()) {
        int state = rs.getInt(1);
        Priority p = Priority.ofRank(rs.getInt(2));
        if (state == Schema.PENDING) {
          count.put(p, rs.getLong(3));
          bytes.put(p, rs.getLong(4));
          oldest = Math.min(oldest, rs.getLong(5));
        } else if (state == Schema.LEASED) {
          inFlight += rs.getLong(3);
          oldest = Math.min(oldest, rs.getLong(5));
        }
      }
    }
    long dead = single("SELECT count(*) FROM dead_letters");
    Map<String, Long> m = meta();
    long lastSeq = Math.max(m.getOrDefault("last_seq", 0L), single("SELECT coalesce(max(seq), 0) FROM records"));
    Space space = space();
    long used = space.liveBytes();
    int warning = used >= budgetBytes * 0.9 ? 90 : used >= budgetBytes * 0.8 ? 80 : 0;
    return new OutboxStats(count, bytes, inFlight, dead, m.getOrDefault("evicted", 0L),
        m.getOrDefault("expired", 0L), m.getOrDefault("dead_lettered", 0L), used, budgetBytes, warning,
        oldest == Long.MAX_VALUE ? 0 : Math.max(0, nowMillis - oldest), m.getOrDefault("epoch", 0L),
        lastSeq, countAside(), m.getOrDefault("purged", 0L), 0, null);
  }

  /** Pending and in-flight records after {@code afterSeq}, by seq; {@code priority} null for all. */
  public List<Row> records(long afterSeq, int limit, Priority priority) throws SQLException {
    String sql = "SELECT seq, topic, priority, ts, state, attempts, payload FROM records WHERE seq > ?"
        + (priority == null ? "" : " AND priority = " + priority.rank()) + " ORDER BY seq LIMIT ?";
    List<Row> out = new ArrayList<>();
    try (PreparedStatement p = c.prepareStatement(sql)) {
      p.setLong(1, afterSeq);
      p.setInt(2, limit);
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          String state = switch (rs.getInt(5)) {
            case Schema.PENDING -> "pending";
            case Schema.LEASED -> "in-flight";
            default -> "acked";
          };
          out.add(new Row(rs.getLong(1), rs.getString(2), Priority.ofRank(rs.getInt(3)), rs.getLong(4),
              state, rs.getInt(6), rs.getBytes(7), null));
        }
      }
    }
    return out;
  }

  /** Dead letters after {@code afterSeq}, by seq, with the server's reason. */
  public List<Row> deadLetters(long afterSeq, int limit) throws SQLException {
    List<Row> out = new ArrayList<>();
    for (DeadLetter d : DeadLetterRows.list(c, afterSeq, limit)) {
      Message m = d.message();
      out.add(new Row(m.seq(), m.topic(), m.priority(), m.timestampMillis(), "dead", d.attempts(), m.payload(),
          d.reason()));
    }
    return out;
  }

  /** Space used on disk, and how much a VACUUM would return (free pages). */
  public Space space() throws SQLException {
    long pageSize = single("PRAGMA page_size");
    long pages = single("PRAGMA page_count");
    long free = single("PRAGMA freelist_count");
    Path db = StoreFile.dbPath(dir);
    return new Space(size(db), size(db.resolveSibling(db.getFileName() + "-wal")),
        (pages - free) * pageSize, free * pageSize, pageSize);
  }

  /**
   * {@code PRAGMA integrity_check}: an empty list when the store is sound, else SQLite's problem
   * descriptions (at most {@code maxProblems}); when SQLite cannot even run the check, its error.
   */
  public List<String> integrityProblems(int maxProblems) {
    List<String> problems = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA integrity_check(" + maxProblems + ")")) {
      while (rs.next()) {
        String line = rs.getString(1);
        if (!"ok".equals(line)) {
          problems.add(line);
        }
      }
    } catch (SQLException e) {
      problems.add("the check itself failed: " + e.getMessage());
    }
    return problems;
  }

  /** Files of corrupt or damaged stores moved aside in the data dir (never deleted). */
  public int countAside() {
    try (var files = Files.list(dir)) {
      return (int) files.map(f -> f.getFileName().toString())
          .filter(n -> (n.startsWith("outbox-corrupt-") || n.startsWith("outbox-damaged-")) && n.endsWith(".db"))
          .count();
    } catch (IOException e) {
      return 0;
    }
  }

  private long single(String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  private static long size(Path f) {
    try {
      return Files.exists(f) ? Files.size(f) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  @Override
  public void close() throws SQLException {
    c.close();
  }
}
