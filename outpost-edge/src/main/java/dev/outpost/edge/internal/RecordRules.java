package dev.outpost.edge.internal;

import dev.outpost.core.Priority;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * Checks a record before anything is queued or written; each failure is an
 * {@link IllegalArgumentException} naming the field and the limit. Stateless.
 */
final class RecordRules {
  private RecordRules() {}

  static String topic(String topic, int maxChars, String where) {
    if (topic == null || topic.isEmpty()) {
      throw new IllegalArgumentException("topic is " + (topic == null ? "null" : "empty") + where
          + ": give every record a non-empty topic, e.g. \"sensors/temperature\"");
    }
    if (topic.length() > maxChars) {
      throw new IllegalArgumentException("topic of " + topic.length() + " chars is longer than "
          + maxChars + where);
    }
    return topic;
  }

  static byte[] payload(byte[] payload, int max, String where) {
    if (payload == null) {
      throw new IllegalArgumentException("payload is null" + where + " (use an empty array for no payload)");
    }
    if (payload.length > max) {
      throw new IllegalArgumentException("payload of " + payload.length + " bytes" + where
          + " is larger than maxPayloadBytes " + max + "; split it or raise OutboxConfig.maxPayloadBytes");
    }
    return payload;
  }

  static Priority priority(Priority priority, String where) {
    if (priority == null) {
      throw new IllegalArgumentException("priority is null" + where
          + " (allowed: CRITICAL, HIGH, NORMAL, LOW)");
    }
    return priority;
  }

  static byte[] headers(Map<String, String> headers, String where) {
    if (headers == null || headers.isEmpty()) {
      return null;
    }
    if (headers.size() > 0xFFFF) {
      throw new IllegalArgumentException("more than 65535 headers" + where);
    }
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (e.getKey() == null || e.getKey().isEmpty() || e.getValue() == null) {
        throw new IllegalArgumentException("header " + e.getKey() + "=" + e.getValue() + where
            + ": header names must be non-empty and values non-null");
      }
      if (e.getKey().getBytes(StandardCharsets.UTF_8).length > HeaderCodec.MAX_ENTRY_BYTES
          || e.getValue().getBytes(StandardCharsets.UTF_8).length > HeaderCodec.MAX_ENTRY_BYTES) {
        throw new IllegalArgumentException("header " + e.getKey() + where + " is longer than 65535 bytes");
      }
    }
    return HeaderCodec.encode(headers);
  }

  static long ttlMillis(Duration ttl, String where) {
    if (ttl == null) {
      return 0;
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl <= 0" + where + ": " + ttl);
    }
    return Math.max(1, ttl.toMillis());
  }
}
