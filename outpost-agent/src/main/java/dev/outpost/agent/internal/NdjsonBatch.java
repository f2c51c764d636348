package dev.outpost.agent.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.agent.StatusDocument;
import dev.outpost.agent.ValueType;
import dev.outpost.core.Priority;
import dev.outpost.edge.NewRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses a batch publish body: NDJSON, one JSON object a line, blank lines ignored.
 *
 * <pre>
 * {"topic": "sensors/t", "priority": "HIGH", "payload": "21.5"}
 * {"payload_base64": "AAEC", "headers": {"unit": "C"}, "ttl": "1h"}
 * {"json": {"t": 21.5, "unit": "C"}}
 * </pre>
 *
 * Exactly one of {@code payload} (text, stored as UTF-8), {@code payload_base64} (bytes) or
 * {@code json} (any JSON value, stored as its compact text). {@code topic} and {@code priority}
 * default to the request's query parameters. Any bad line fails the whole batch with its line
 * number (nothing is appended). Not thread-safe; one instance per request.
 */
public final class NdjsonBatch {
  /** The batch has more records than allowed or a payload above the limit. */
  public static final class TooLargeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    TooLargeException(String message) {
      super(message);
    }
  }

  private final String defaultTopic;
  private final Priority defaultPriority;
  private final int maxRecords;
  private final long maxPayloadBytes;

  public NdjsonBatch(String defaultTopic, Priority defaultPriority, int maxRecords, long maxPayloadBytes) {
    this.defaultTopic = defaultTopic;
    this.defaultPriority = defaultPriority;
    this.maxRecords = maxRecords;
    this.maxPayloadBytes = maxPayloadBytes;
  }

  public List<NewRecord> read(InputStream in) throws IOException {
    List<NewRecord> out = new ArrayList<>();
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    int lineNo = 0;
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      if (out.size() == maxRecords) {
        throw new TooLargeException("batch has more than api.max-batch-records (" + maxRecords + ") records");
      }
      out.add(record(line, lineNo));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("empty batch: send one JSON object per line (NDJSON)");
    }
    return out;
  }

  private NewRecord record(String line, int lineNo) {
    JsonNode n;
    try {
      n = StatusDocument.JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("line " + lineNo + ": not JSON: " + e.getOriginalMessage());
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("line " + lineNo + ": expected a JSON object");
    }
    var names = n.fieldNames();
    while (names.hasNext()) {
      String f = names.next();
      if (!List.of("topic", "priority", "payload", "payload_base64", "json", "headers", "ttl").contains(f)) {
        throw new IllegalArgumentException("line " + lineNo + ": unknown field '" + f
            + "' (allowed: topic, priority, payload, payload_base64, json, headers, ttl)");
      }
    }
    String topic = n.hasNonNull("topic") ? n.get("topic").asText() : defaultTopic;
    if (topic == null || topic.isEmpty()) {
      throw new IllegalArgumentException("line " + lineNo + ": no topic (set \"topic\" or ?topic=)");
    }
    Priority priority;
    try {
      priority = n.hasNonNull("priority") ? Priority.parse(n.get("priority").asText()) : defaultPriority;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("line " + lineNo + ": " + e.getMessage());
    }
    byte[] payload = payload(n, lineNo);
    if (payload.length > maxPayloadBytes) {
      throw new TooLargeException("line " + lineNo + ": payload of " + payload.length
          + " bytes is larger than outbox.max-payload-bytes (" + maxPayloadBytes + ")");
    }
    return new NewRecord(topic, payload, priority, headers(n, lineNo), ttl(n, lineNo));
  }

  private static byte[] payload(JsonNode n, int lineNo) {
    int given = (n.has("payload") ? 1 : 0) + (n.has("payload_base64") ? 1 : 0) + (n.has("json") ? 1 : 0);
    if (given != 1) {
      throw new IllegalArgumentException(
          "line " + lineNo + ": give exactly one of payload, payload_base64, json");
    }
    if (n.has("payload")) {
      if (!n.get("payload").isTextual()) {
        throw new IllegalArgumentException("line " + lineNo + ": payload must be a string (use json for JSON values)");
      }
      return n.get("payload").asText().getBytes(StandardCharsets.UTF_8);
    }
    if (n.has("payload_base64")) {
      try {
        return Base64.getDecoder().decode(n.get("payload_base64").asText());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + lineNo + ": payload_base64 is not base64: " + e.getMessage());
      }
    }
    try {
      return StatusDocument.JSON.writeValueAsBytes(n.get("json"));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("line " + lineNo + ": " + e.getOriginalMessage());
    }
  }

  private static Map<String, String> headers(JsonNode n, int lineNo) {
    if (!n.hasNonNull("headers")) {
      return Map.of();
    }
    JsonNode h = n.get("headers");
    if (!h.isObject()) {
      throw new IllegalArgumentException("line " + lineNo + ": headers must be an object of strings");
    }
    Map<String, String> out = new HashMap<>();
    h.properties().forEach(e -> {
      if (!e.getValue().isValueNode()) {
        throw new IllegalArgumentException("line " + lineNo + ": header '" + e.getKey() + "' must be a string");
      }
      out.put(e.getKey(), e.getValue().asText());
    });
    return out;
  }

  private static Duration ttl(JsonNode n, int lineNo) {
    if (!n.hasNonNull("ttl")) {
      return null;
    }
    try {
      return ValueType.duration(Duration.ofSeconds(1), Duration.ofDays(3650)).parse(n.get("ttl").asText());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("line " + lineNo + ": ttl " + e.getMessage()
          + " (allowed: a duration like 30s, 5m, 1h, 7d)");
    }
  }
}
