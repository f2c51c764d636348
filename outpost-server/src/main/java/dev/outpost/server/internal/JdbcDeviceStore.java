package dev.outpost.server.internal;

import dev.outpost.server.DeviceInfo;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Devices and the admin token hash on any JDBC store: the same {@link JdbcQueries} for SQLite and
 * PostgreSQL, run through the store's own {@link JdbcAccess} (for SQLite, writes go through the
 * single writer between ingest groups). Thread-safe as its access is.
 */
final class JdbcDeviceStore implements DeviceStore, AdminTokenStore {
  private static final String ADMIN_TOKEN_HASH = "admin_token_hash";
  private final JdbcAccess access;

  JdbcDeviceStore(JdbcAccess access) {
    this.access = access;
  }

  @Override
  public void addDevice(String deviceId, String tokenHash, long now, Map<String, String> labels) {
    access.write(c -> {
      JdbcQueries.addDevice(c, deviceId, tokenHash, now, labels);
      return null;
    });
  }

  @Override
  public boolean setLabels(String deviceId, Map<String, String> labels) {
    return access.write(c -> JdbcQueries.setLabels(c, deviceId, labels));
  }

  @Override
  public Map<String, String> labels(String deviceId) {
    return access.read(c -> JdbcQueries.labels(c, deviceId));
  }

  @Override
  public boolean revokeDevice(String deviceId, long now) {
    return access.write(c -> JdbcQueries.revokeDevice(c, deviceId, now));
  }

  @Override
  public Optional<String> deviceForToken(String tokenHash) {
    return access.read(c -> JdbcQueries.deviceForToken(c, tokenHash));
  }

  @Override
  public List<DeviceInfo> devices() {
    return access.read(JdbcQueries::devices);
  }

  @Override
  public void putHealth(String deviceId, String json, long now) {
    access.write(c -> {
      JdbcQueries.putHealth(c, deviceId, json, now);
      return null;
    });
  }

  @Override
  public Optional<String> adminTokenHash() {
    return access.read(c -> JdbcQueries.setting(c, ADMIN_TOKEN_HASH));
  }

  @Override
  public String initSecret(String name, String value) {
    return access.write(c -> {
      JdbcQueries.insertSettingIfAbsent(c, name, value);
      return JdbcQueries.setting(c, name).orElseThrow();
    });
  }

  @Override
  public String initAdminTokenHash(String hash) {
    return access.write(c -> {
      JdbcQueries.insertSettingIfAbsent(c, ADMIN_TOKEN_HASH, hash);
      return JdbcQueries.setting(c, ADMIN_TOKEN_HASH).orElseThrow();
    });
  }
}
