package dev.outpost.server.internal;

import dev.outpost.core.Message;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * Inserts the messages of one ingest write into the SQLite {@code messages} table: full chunks
 * of {@value #ROWS} rows with one multi-row {@code INSERT ... ON CONFLICT DO NOTHING} (device,
 * epoch and received time bound once per chunk as {@code ?1..?3}), the rest row by row. Which
 * rows were stored (not duplicates) comes from the change count, or, when a chunk held
 * duplicates, from the rows it added: {@code server_seq} is the rowid of a table rows never
 * leave, so a statement's new rows take the rowids just above the old maximum.
 *
 * <p>Runs inside the caller's transaction on the store's writer thread; holds prepared
 * statements of that connection. Not thread-safe.
 */
final class SqliteMessageInserts implements AutoCloseable {
  static final int ROWS = 64;
  private static final String CONFLICT = " ON CONFLICT (device_id, epoch, seq) DO NOTHING";

  private final PreparedStatement chunk;
  private final PreparedStatement single;
  private final PreparedStatement added;

  SqliteMessageInserts(Connection c) throws SQLException {
    StringBuilder sql = new StringBuilder("INSERT INTO messages (")
        .append(JdbcQueries.INSERT_MESSAGE_COLUMNS).append(") VALUES ");
    for (int r = 0; r < ROWS; r++) {
      int p = 4 + 6 * r;
      sql.append(r == 0 ? "" : ",").append("(?1,?2,?").append(p).append(",?").append(p + 1)
          .append(",?").append(p + 2).append(",?").append(p + 3).append(",?3,?").append(p + 4)
          .append(",?").append(p + 5).append(')');
    }
    this.chunk = c.prepareStatement(sql.append(CONFLICT).toString());
    this.single = c.prepareStatement("INSERT INTO messages (" + JdbcQueries.INSERT_MESSAGE_COLUMNS
        + ") VALUES (?,?,?,?,?,?,?,?,?)" + CONFLICT);
    this.added = c.prepareStatement(
        "SELECT seq FROM messages WHERE server_seq > (SELECT max(server_seq) FROM messages) - ?");
  }

  /** Inserts every message of {@code w}; element i is true if message i was stored (new). */
  boolean[] insert(Store.Write w) throws SQLException {
    List<Message> ms = w.messages();
    boolean[] stored = new boolean[ms.size()];
    int i = 0;
    for (; ms.size() - i >= ROWS; i += ROWS) {
      chunk.setString(1, w.deviceId());
      chunk.setLong(2, w.epoch());
      chunk.setLong(3, w.receivedAt());
      for (int r = 0; r < ROWS; r++) {
        Message m = ms.get(i + r);
        int p = 4 + 6 * r;
        chunk.setLong(p, m.seq());
        chunk.setString(p + 1, m.topic());
        chunk.setInt(p + 2, m.priority().rank());
        chunk.setLong(p + 3, m.timestampMillis());
        chunk.setString(p + 4, JdbcQueries.headersJson(m.headers()));
        chunk.setBytes(p + 5, m.payload());
      }
      int changes = chunk.executeUpdate();
      if (changes == ROWS) {
        java.util.Arrays.fill(stored, i, i + ROWS, true);
      } else if (changes > 0) {
        markAdded(ms, stored, i, changes);
      }
    }
    if (i < ms.size()) {
      for (int k = i; k < ms.size(); k++) {
        Message m = ms.get(k);
        single.setString(1, w.deviceId());
        single.setLong(2, w.epoch());
        single.setLong(3, m.seq());
        single.setString(4, m.topic());
        single.setInt(5, m.priority().rank());
        single.setLong(6, m.timestampMillis());
        single.setLong(7, w.receivedAt());
        single.setString(8, JdbcQueries.headersJson(m.headers()));
        single.setBytes(9, m.payload());
        single.addBatch();
      }
      int[] changes = single.executeBatch();
      for (int k = 0; k < changes.length; k++) {
        stored[i + k] = changes[k] > 0;
      }
    }
    return stored;
  }

  /** Marks the chunk's messages whose rows the last statement added (its first of each seq). */
  private void markAdded(List<Message> ms, boolean[] stored, int from, int changes) throws SQLException {
    added.setInt(1, changes);
    try (ResultSet rs = added.executeQuery()) {
      while (rs.next()) {
        long seq = rs.getLong(1);
        for (int k = from; k < from + ROWS; k++) {
          if (!stored[k] && ms.get(k).seq() == seq) {
            stored[k] = true;
            break;
          }
        }
      }
    }
  }

  @Override
  public void close() throws SQLException {
    try (chunk; single; added) {
      // closes all three
    }
  }
}
