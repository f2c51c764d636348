package dev.outpost.server;

import java.util.Map;

/**
 * One device as the server sees it.
 *
 * @param deviceId the id the device writes as
 * @param createdAt when {@code device add} made it (epoch millis)
 * @param revokedAt when its token was revoked, or 0 if it is active
 * @param lastSeen last accepted ingest or health report (epoch millis), or 0 if never
 * @param stored records stored for it
 * @param duplicates records it sent again that were already stored
 * @param rejected records refused (with a reason) for it
 * @param healthJson the last connection-health report it sent (a JSON object), or null
 * @param healthAt when that report arrived, or 0
 * @param labels its labels (e.g. site=berlin), which {@code $device.<label>} subscriptions read
 */
public record DeviceInfo(
    String deviceId,
    long createdAt,
    long revokedAt,
    long lastSeen,
    long stored,
    long duplicates,
    long rejected,
    String healthJson,
    long healthAt,
    Map<String, String> labels) {

  public DeviceInfo {
    labels = Map.copyOf(labels);
  }

  public boolean revoked() {
    return revokedAt != 0;
  }
}
