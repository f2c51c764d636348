package dev.outpost.core;

import java.util.List;
import java.util.Objects;

/** What one ingest request carries: records of one device and one outbox epoch. */
public record Batch(String deviceId, long epoch, List<Message> messages) {
  public Batch {
    Objects.requireNonNull(deviceId, "deviceId");
    messages = List.copyOf(messages);
  }

  public int size() {
    return messages.size();
  }
}
