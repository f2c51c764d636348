package dev.outpost.server.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.DeviceInfo;
import dev.outpost.server.StoredRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reads and small writes that are the same SQL on SQLite and PostgreSQL. Both stores share
 * one schema shape:
 *
 * <pre>
 * messages(server_seq PK, device_id, epoch, seq, topic, priority 0..3, ts, received_at,
 *          headers JSON text or NULL, payload bytes, UNIQUE(device_id, epoch, seq))
 * devices(device_id PK, token_hash UNIQUE, created_at, revoked_at 0 = active, last_seen,
 *         stored, duplicates, rejected, health JSON text or NULL, health_at)
 * settings(key PK, value)       -- 'admin_token_hash'
 * </pre>
 *
 * Stateless; callers own the connection and its transaction.
 */
final class JdbcQueries {
  static final String INSERT_MESSAGE_COLUMNS =
      "device_id, epoch, seq, topic, priority, ts, received_at, headers, payload";
  private static final String MESSAGE_COLUMNS =
      "server_seq, device_id, epoch, seq, topic, priority, ts, received_at, headers, payload";
  private static final String DEVICE_COLUMNS =
      "device_id, created_at, revoked_at, last_seen, stored, duplicates, rejected, health, health_at, labels";
  private static final TypeReference<Map<String, String>> HEADERS = new TypeReference<>() {};
  /** A page stops growing past this many payload bytes, so a page never needs unbounded heap. */
  static final long MAX_PAGE_BYTES = 16 << 20;

  private JdbcQueries() {}

  static String headersJson(Map<String, String> headers) {
    if (headers.isEmpty()) {
      return null;
    }
    try {
      return WireCodec.mapper().writeValueAsString(headers);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Map<String, String> parseHeaders(String json) {
    if (json == null) {
      return Map.of();
    }
    try {
      return WireCodec.mapper().readValue(json, HEADERS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<StoredRecord> page(Connection c, long after, int limit, String device, String topic)
      throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT " + MESSAGE_COLUMNS + " FROM messages WHERE server_seq > ?");
    if (device != null) {
      sql.append(" AND device_id = ?");
    }
    if (topic != null) {
      sql.append(" AND topic = ?");
    }
    sql.append(" ORDER BY server_seq LIMIT ?");
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int i = 1;
      ps.setLong(i++, after);
      if (device != null) {
        ps.setString(i++, device);
      }
      if (topic != null) {
        ps.setString(i++, topic);
      }
      ps.setInt(i, limit);
      List<StoredRecord> out = new ArrayList<>(Math.min(limit, 1024));
      long bytes = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (bytes < MAX_PAGE_BYTES && rs.next()) {
          Message m =
              new Message(
                  rs.getLong(4),
                  rs.getString(5),
                  Priority.ofRank(rs.getInt(6)),
                  rs.getLong(7),
                  parseHeaders(rs.getString(9)),
                  rs.getBytes(10));
          out.add(new StoredRecord(rs.getLong(1), rs.getString(2), rs.getLong(3), m, rs.getLong(8)));
          bytes += m.approximateBytes();
        }
      }
      return out;
    }
  }

  static List<DeviceInfo> devices(Connection c) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement("SELECT " + DEVICE_COLUMNS + " FROM devices ORDER BY device_id");
        ResultSet rs = ps.executeQuery()) {
      List<DeviceInfo> out = new ArrayList<>();
      while (rs.next()) {
        out.add(
            new DeviceInfo(
                rs.getString(1),
                rs.getLong(2),
                rs.getLong(3),
                rs.getLong(4),
                rs.getLong(5),
                rs.getLong(6),
                rs.getLong(7),
                rs.getString(8),
                rs.getLong(9),
                parseHeaders(rs.getString(10))));
      }
      return out;
    }
  }

  static Optional<String> deviceForToken(Connection c, String tokenHash) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT device_id FROM devices WHERE token_hash = ? AND revoked_at = 0")) {
      ps.setString(1, tokenHash);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  static Optional<String> setting(Connection c, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT value FROM settings WHERE key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  /** Inserts the setting unless present (ON CONFLICT DO NOTHING works on both databases). */
  static void insertSettingIfAbsent(Connection c, String key, String value) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")) {
      ps.setString(1, key);
      ps.setString(2, value);
      ps.executeUpdate();
    }
  }

  /** @throws IllegalArgumentException if the device exists */
  static void addDevice(Connection c, String deviceId, String tokenHash, long now, Map<String, String> labels)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO devices(device_id, token_hash, created_at, labels) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (device_id) DO NOTHING")) {
      ps.setString(1, deviceId);
      ps.setString(2, tokenHash);
      ps.setLong(3, now);
      ps.setString(4, labelsJson(labels));
      if (ps.executeUpdate() == 0) {
        throw new DeviceExistsException(deviceId);
      }
    }
  }

  static boolean setLabels(Connection c, String deviceId, Map<String, String> labels) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE devices SET labels = ? WHERE device_id = ?")) {
      ps.setString(1, labelsJson(labels));
      ps.setString(2, deviceId);
      return ps.executeUpdate() > 0;
    }
  }

  static Map<String, String> labels(Connection c, String deviceId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT labels FROM devices WHERE device_id = ?")) {
      ps.setString(1, deviceId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? parseHeaders(rs.getString(1)) : Map.of();
      }
    }
  }

  /** Labels as stored: a JSON object of strings, sorted; null for none. */
  static String labelsJson(Map<String, String> labels) {
    return labels == null || labels.isEmpty() ? null : headersJson(new java.util.TreeMap<>(labels));
  }

  static boolean revokeDevice(Connection c, String deviceId, long now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE devices SET revoked_at = ? WHERE device_id = ? AND revoked_at = 0")) {
      ps.setLong(1, Math.max(1, now));
      ps.setString(2, deviceId);
      return ps.executeUpdate() > 0;
    }
  }

  static void putHealth(Connection c, String deviceId, String json, long now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE devices SET health = ?, health_at = ?, last_seen = ? WHERE device_id = ?")) {
      ps.setString(1, json);
      ps.setLong(2, now);
      ps.setLong(3, now);
      ps.setString(4, deviceId);
      if (ps.executeUpdate() == 0) {
        throw new IllegalArgumentException("no device '" + deviceId + "'");
      }
    }
  }

  /** Adds one write's outcome to its device's counters. */
  static void countWrite(PreparedStatement update, Store.Write w, int stored, int duplicates)
      throws SQLException {
    update.setLong(1, w.receivedAt());
    update.setLong(2, stored);
    update.setLong(3, duplicates);
    update.setLong(4, w.rejected());
    update.setString(5, w.deviceId());
    update.executeUpdate();
  }

  /** For {@link #countWrite}: last_seen only moves forward. */
  static String countWriteSql(String greatest) {
    return "UPDATE devices SET last_seen = " + greatest + "(last_seen, ?), stored = stored + ?,"
        + " duplicates = duplicates + ?, rejected = rejected + ? WHERE device_id = ?";
  }
}
