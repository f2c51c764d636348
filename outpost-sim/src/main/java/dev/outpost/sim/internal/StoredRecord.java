package dev.outpost.sim.internal;

import dev.outpost.core.MessageId;
import dev.outpost.core.Priority;

/**
 * One record as the server's read-back API returned it (only what the checker and the fleet
 * demo use).
 *
 * @param ts the device's append time (epoch millis), -1 if the server did not say
 * @param receivedAt when the server received it (epoch millis), -1 if the server did not say
 */
public record StoredRecord(
    long serverSeq, MessageId id, String topic, Priority priority, long ts, long receivedAt) {

  public StoredRecord(long serverSeq, MessageId id, String topic, Priority priority) {
    this(serverSeq, id, topic, priority, -1, -1);
  }
}
