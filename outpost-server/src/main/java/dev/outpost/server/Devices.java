package dev.outpost.server;

import java.util.List;
import java.util.Map;

/**
 * The devices allowed to write, and their tokens. Tokens are shown once by {@link #add} and
 * stored only as a SHA-256 hash. Thread-safe; every change is committed before it returns.
 */
public interface Devices {
  /**
   * Creates a device and returns its bearer token (plaintext, shown only now).
   *
   * @throws IllegalArgumentException if the id is malformed or the device already exists
   */
  default String add(String deviceId) {
    return add(deviceId, Map.of());
  }

  /**
   * Creates a device with labels (e.g. site=berlin, read by {@code $device.<label>} subscription
   * rules) and returns its bearer token.
   *
   * @throws IllegalArgumentException if the id or a label is malformed, or the device exists
   */
  String add(String deviceId, Map<String, String> labels);

  /**
   * Replaces a device's labels; its next pull answers with a resync, so documents it no longer
   * receives are dropped and those it now receives arrive. False if there is no such device.
   *
   * @throws IllegalArgumentException if a label is malformed
   */
  boolean setLabels(String deviceId, Map<String, String> labels);

  /** Revokes the device's token; returns false if there is no such active device. */
  boolean revoke(String deviceId);

  /** All devices, ordered by id, with their counters and last health report. */
  List<DeviceInfo> list();
}
