package dev.outpost.server.internal;

/** {@code device add} for an id that is already taken (active or revoked). */
public final class DeviceExistsException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public DeviceExistsException(String deviceId) {
    super("device '" + deviceId + "' already exists");
  }
}
