package dev.outpost.core.wire;

import dev.outpost.core.Message;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What a server stores of one record, checked the same way on both ends: the edge refuses at
 * {@code append} what the server would refuse (so a record is never acknowledged on the device
 * and dead-lettered later), and the server checks each record of a batch with the same code.
 *
 * <p>{@link #DEFAULT} is what a server with default settings takes; a server may be configured
 * with larger limits, an edge with a smaller payload limit. Immutable.
 *
 * @param maxTopicBytes a topic's length in UTF-8 bytes
 * @param maxPayloadBytes a payload's length in bytes
 * @param maxHeaderChars the header names and values of one record, in chars, added up
 */
public record RecordLimits(int maxTopicBytes, int maxPayloadBytes, int maxHeaderChars) {

  /** The limits of a server with default settings: 512 B topics, 1 MiB payloads, 16 Ki chars of headers. */
  public static final RecordLimits DEFAULT = new RecordLimits(512, 1 << 20, 16 << 10);

  public RecordLimits {
    if (maxTopicBytes < 1) {
      throw new IllegalArgumentException("maxTopicBytes < 1: " + maxTopicBytes);
    }
    if (maxPayloadBytes < 0) {
      throw new IllegalArgumentException("maxPayloadBytes < 0: " + maxPayloadBytes);
    }
    if (maxHeaderChars < 0) {
      throw new IllegalArgumentException("maxHeaderChars < 0: " + maxHeaderChars);
    }
  }

  /** The same limits with another payload limit. */
  public RecordLimits withMaxPayloadBytes(int bytes) {
    return new RecordLimits(maxTopicBytes, bytes, maxHeaderChars);
  }

  /** Why {@code m} cannot be stored, or null if it can. */
  public String problem(Message m) {
    return problem(m.topic(), m.payload().length, m.headers());
  }

  /** Why a record of these parts cannot be stored, or null if it can; {@code headers} may be null. */
  public String problem(String topic, int payloadBytes, Map<String, String> headers) {
    String p = topicProblem(topic);
    if (p != null) {
      return p;
    }
    if (payloadBytes > maxPayloadBytes) {
      return "payload is " + payloadBytes + " bytes, over the limit of " + maxPayloadBytes;
    }
    return headersProblem(headers);
  }

  /** Why a topic cannot be stored, or null if it can. */
  public String topicProblem(String topic) {
    if (topic == null || topic.isBlank()) {
      return topic == null ? "topic is null" : "empty topic";
    }
    // A char is at most 3 UTF-8 bytes: only a long topic needs encoding to be measured.
    if (topic.length() * 3L > maxTopicBytes) {
      int topicBytes = topic.getBytes(StandardCharsets.UTF_8).length;
      if (topicBytes > maxTopicBytes) {
        return "topic is " + topicBytes + " bytes, over the limit of " + maxTopicBytes;
      }
    }
    if (!storable(topic)) {
      return "topic contains a NUL character or broken UTF-16";
    }
    return null;
  }

  /** Why these headers cannot be stored, or null if they can; null and empty are fine. */
  public String headersProblem(Map<String, String> headers) {
    if (headers == null) {
      return null;
    }
    long chars = 0;
    for (Map.Entry<String, String> h : headers.entrySet()) {
      String name = h.getKey();
      String value = h.getValue();
      if (name == null || name.isEmpty() || value == null) {
        return "header " + name + "=" + value + ": header names must be non-empty and values non-null";
      }
      if (!storable(name) || !storable(value)) {
        return "header '" + name.replace('\0', '?') + "' contains a NUL character or broken UTF-16";
      }
      chars += name.length() + value.length();
    }
    if (chars > maxHeaderChars) {
      return "headers are " + chars + " chars, over the limit of " + maxHeaderChars;
    }
    return null;
  }

  /** PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded: refuse both. */
  private static boolean storable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
