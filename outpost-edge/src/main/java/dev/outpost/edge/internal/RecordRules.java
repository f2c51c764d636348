package dev.outpost.edge.internal;

import dev.outpost.core.Priority;
import dev.outpost.core.wire.RecordLimits;
import dev.outpost.edge.RecordTooLargeException;
import java.time.Duration;
import java.util.Map;

/**
 * Checks a record before anything is queued or written; each failure is an
 * {@link IllegalArgumentException} naming the field and the limit. Topic and headers are checked
 * with the server's own {@link RecordLimits}. Stateless.
 */
final class RecordRules {
  private RecordRules() {}

  /**
   * The topic, if the server takes it ({@link RecordLimits}: at most 512 UTF-8 bytes, no NUL, no
   * broken UTF-16): the same check the server makes, so no record is acknowledged here and
   * dead-lettered later for its topic.
   */
  static String topic(String topic, RecordLimits limits, String where) {
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("topic is " + (topic == null ? "null" : topic.isEmpty() ? "empty" : "blank")
          + where + ": give every record a non-empty topic, e.g. \"sensors/temperature\"");
    }
    String problem = limits.topicProblem(topic);
    if (problem != null) {
      throw new IllegalArgumentException(problem + where);
    }
    return topic;
  }

  static byte[] payload(byte[] payload, int max, String where) {
    if (payload == null) {
      throw new IllegalArgumentException("payload is null" + where + " (use an empty array for no payload)");
    }
    if (payload.length > max) {
      throw new RecordTooLargeException("payload of " + payload.length + " bytes" + where
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

  /** The encoded headers (null for none), if the server takes them ({@link RecordLimits}). */
  static byte[] headers(Map<String, String> headers, RecordLimits limits, String where) {
    if (headers == null || headers.isEmpty()) {
      return null;
    }
    String problem = limits.headersProblem(headers);
    if (problem != null) {
      throw new IllegalArgumentException(problem + where);
    }
    // 16 Ki chars in all are at most 48 KiB of UTF-8 per name or value: within HeaderCodec's 64 KiB
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
