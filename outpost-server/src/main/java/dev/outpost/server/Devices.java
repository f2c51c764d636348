package dev.outpost.server;

import java.util.List;

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
  String add(String deviceId);

  /** Revokes the device's token; returns false if there is no such active device. */
  boolean revoke(String deviceId);

  /** All devices, ordered by id, with their counters and last health report. */
  List<DeviceInfo> list();
}
