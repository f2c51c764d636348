package dev.outpost.server.internal;

import dev.outpost.server.DeviceInfo;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The devices a store knows: their token hashes, revocation, counters and health reports. Every
 * write returns only after its transaction committed. Thread-safe.
 */
public interface DeviceStore {

  /** @throws IllegalArgumentException if the device exists */
  default void addDevice(String deviceId, String tokenHash, long now) {
    addDevice(deviceId, tokenHash, now, Map.of());
  }

  /** @throws IllegalArgumentException if the device exists */
  void addDevice(String deviceId, String tokenHash, long now, Map<String, String> labels);

  /** Replaces a device's labels; false if there is no such device. */
  boolean setLabels(String deviceId, Map<String, String> labels);

  /** A device's labels (empty for none or no such device). */
  Map<String, String> labels(String deviceId);

  boolean revokeDevice(String deviceId, long now);

  /** The active (not revoked) device whose token hashes to this, if any. */
  Optional<String> deviceForToken(String tokenHash);

  List<DeviceInfo> devices();

  /** Stores a device's health report as given, with its receive time. */
  void putHealth(String deviceId, String json, long now);
}
