package dev.outpost.core;

import java.util.Map;
import java.util.Objects;

/**
 * One record as it travels from an outbox to the server: immutable.
 *
 * @param seq position in its outbox store, starting at 1
 * @param topic non-empty name the producer chose, e.g. {@code sensors/temperature}
 * @param priority drain order
 * @param timestampMillis the device's wall clock at append (informational only: seq orders)
 * @param headers small string metadata, never null (may be empty)
 * @param payload the bytes the producer gave; not copied, callers must not mutate it
 */
public record Message(
    long seq,
    String topic,
    Priority priority,
    long timestampMillis,
    Map<String, String> headers,
    byte[] payload) {

  public Message {
    if (seq < 1) {
      throw new IllegalArgumentException("seq < 1: " + seq);
    }
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(priority, "priority");
    headers = headers == null ? Map.of() : Map.copyOf(headers);
    Objects.requireNonNull(payload, "payload");
  }

  /** Approximate size used for batching decisions: payload, topic and headers. */
  public int approximateBytes() {
    int n = payload.length + topic.length() + 24;
    for (Map.Entry<String, String> h : headers.entrySet()) {
      n += h.getKey().length() + h.getValue().length() + 4;
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Message m
        && seq == m.seq
        && timestampMillis == m.timestampMillis
        && topic.equals(m.topic)
        && priority == m.priority
        && headers.equals(m.headers)
        && java.util.Arrays.equals(payload, m.payload);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(seq) * 31 + topic.hashCode();
  }

  @Override
  public String toString() {
    return "Message{seq=" + seq + ", topic=" + topic + ", priority=" + priority
        + ", ts=" + timestampMillis + ", payload=" + payload.length + " bytes}";
  }
}
