package dev.outpost.server.internal;

import dev.outpost.server.DeviceInfo;
import dev.outpost.server.Devices;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Devices and their tokens over a {@link Store}, with a small cache so authenticating a request
 * costs one hash and one map lookup. A revoke through this object takes effect at once; a revoke
 * by another process (the CLI, another server on the same PostgreSQL) within the cache TTL.
 * Thread-safe.
 */
public final class DeviceRegistry implements Devices {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");
  private static final int MAX_CACHED = 100_000;

  private record Cached(String tokenHash, String deviceId, long expiresAt) {}

  private final DeviceStore store;
  private final Tokens tokens;
  private final Clock clock;
  private final long ttlMillis;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  public DeviceRegistry(DeviceStore store, Tokens tokens, Clock clock, Duration cacheTtl) {
    this.store = store;
    this.tokens = tokens;
    this.clock = clock;
    this.ttlMillis = cacheTtl.toMillis();
  }

  /** Checks a device id: 1..128 of letters, digits and {@code . _ : @ -}, starting alphanumeric. */
  public static String checkId(String deviceId) {
    if (deviceId == null || !ID.matcher(deviceId).matches()) {
      throw new IllegalArgumentException(
          "device id '" + deviceId + "' is invalid: use 1-128 letters, digits, '.', '_', ':', '@' or '-',"
              + " starting with a letter or digit");
    }
    return deviceId;
  }

  @Override
  public String add(String deviceId, Map<String, String> labels) {
    checkId(deviceId);
    checkLabels(labels);
    String token = tokens.newToken(Tokens.DEVICE_PREFIX);
    store.addDevice(deviceId, Tokens.hash(token), clock.millis(), labels);
    return token;
  }

  @Override
  public boolean setLabels(String deviceId, Map<String, String> labels) {
    checkLabels(labels);
    return store.setLabels(deviceId, labels);
  }

  /** A device's labels (what its {@code $device.<label>} subscriptions read). */
  public Map<String, String> labels(String deviceId) {
    return store.labels(deviceId);
  }

  private static final java.util.regex.Pattern LABEL = java.util.regex.Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  /** At most 32 labels; names of 1 to 64 letters, digits, '_', '.', '-'; values of 1 to 256 chars. */
  static Map<String, String> checkLabels(Map<String, String> labels) {
    if (labels.size() > 32) {
      throw new IllegalArgumentException("a device has at most 32 labels, not " + labels.size());
    }
    labels.forEach((k, v) -> {
      if (k == null || !LABEL.matcher(k).matches()) {
        throw new IllegalArgumentException("label name '" + k + "' is invalid: use 1-64 letters, digits, '_', '.' or '-'");
      }
      if (v == null || v.isEmpty() || v.length() > 256) {
        throw new IllegalArgumentException("label " + k + " needs a value of 1 to 256 characters");
      }
    });
    return labels;
  }

  @Override
  public boolean revoke(String deviceId) {
    boolean revoked = store.revokeDevice(deviceId, clock.millis());
    cache.values().removeIf(c -> c.deviceId().equals(deviceId));
    return revoked;
  }

  @Override
  public List<DeviceInfo> list() {
    return store.devices();
  }

  /** The active device this bearer token belongs to, if any. */
  public Optional<String> authenticate(String token) {
    if (token == null) {
      return Optional.empty();
    }
    String hash = Tokens.hash(token);
    long now = clock.millis();
    Cached c = cache.get(hash);
    if (c != null && c.expiresAt() > now && Tokens.sameHash(c.tokenHash(), hash)) {
      return Optional.of(c.deviceId());
    }
    Optional<String> device = store.deviceForToken(hash);
    if (device.isPresent() && ttlMillis > 0) {
      if (cache.size() >= MAX_CACHED) {
        cache.clear();
      }
      cache.put(hash, new Cached(hash, device.get(), now + ttlMillis));
    } else {
      cache.remove(hash);
    }
    return device;
  }
}
