package dev.outpost.core;

import java.util.Objects;

/**
 * The identity of a record, everywhere and forever: (deviceId, epoch, seq).
 *
 * <p>The epoch is random and created with an outbox store; seq grows by one per record in that
 * store. A wiped or recreated store gets a new epoch, so ids never collide even though seq
 * restarts. The server dedupes on exactly this triple.
 */
public record MessageId(String deviceId, long epoch, long seq) {
  public MessageId {
    Objects.requireNonNull(deviceId, "deviceId");
    if (seq < 1) {
      throw new IllegalArgumentException("seq < 1: " + seq);
    }
  }

  @Override
  public String toString() {
    return deviceId + "/" + Long.toUnsignedString(epoch, 16) + "/" + seq;
  }
}
