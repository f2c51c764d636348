package dev.outpost.core.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.core.Batch;
import dev.outpost.core.BatchResult;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.RecordResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Wire protocol v1: how a {@link Batch} and its {@link BatchResult} travel. Stateless and
 * thread-safe. The format is documented in {@code docs/protocol.md}; in short:
 *
 * <p><b>JSON</b> ({@value #JSON}), for curl and humans:
 *
 * <pre>
 * {"device":"gw-1","epoch":123,"messages":[
 *   {"seq":1,"topic":"t","priority":"HIGH","ts":1700000000000,"headers":{"k":"v"},"payload":"text"}]}
 * </pre>
 *
 * A payload that is valid UTF-8 travels as {@code payload} (a string); any other payload as
 * {@code payload64} (standard base64). Exactly one of the two is present.
 *
 * <p><b>Binary</b> ({@value #BINARY}), what the edge sends by default: a compact encoding that
 * shares topic strings and delta-encodes seq and timestamps (see {@link BinaryBatchFormat}).
 *
 * <p>Results travel as JSON by default: {@code {"results":[{"seq":1,"status":"stored"}, {"seq":2,
 * "status":"rejected","reason":"..."}],"serverTime":1700000000000}}. A client that sends
 * {@code Accept: }{@value #BINARY} gets the compact binary result instead (see
 * {@link BinaryResultFormat}); the answer's {@code Content-Type} says which one came.
 */
public final class WireCodec {
  public static final String JSON = "application/json";
  public static final String BINARY = "application/vnd.outpost.v1+binary";

  private static final ObjectMapper MAPPER =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder().maxNestingDepth(64).maxStringLength(64 << 20).build())
              .build());

  private WireCodec() {}

  /** Decodes a batch by media type ({@code null} or anything JSON-like means JSON). */
  public static Batch decodeBatch(String contentType, byte[] body) {
    if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith(BINARY)) {
      return BinaryBatchFormat.decode(body);
    }
    if (contentType == null
        || contentType.isBlank()
        || contentType.toLowerCase(Locale.ROOT).contains("json")) {
      return decodeJson(body);
    }
    throw new IllegalArgumentException(
        "unsupported Content-Type '" + contentType + "' (supported: " + JSON + ", " + BINARY + ")");
  }

  public static byte[] encodeBinary(Batch batch) {
    return BinaryBatchFormat.encode(batch);
  }

  public static byte[] encodeJson(Batch batch) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + batch.size() * 128);
    try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("device", batch.deviceId());
      g.writeNumberField("epoch", batch.epoch());
      g.writeArrayFieldStart("messages");
      for (Message m : batch.messages()) {
        writeMessage(g, m);
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Writes one message as a JSON object; also used by read-back and export. */
  public static void writeMessage(JsonGenerator g, Message m) throws IOException {
    g.writeStartObject();
    g.writeNumberField("seq", m.seq());
    g.writeStringField("topic", m.topic());
    g.writeStringField("priority", m.priority().name());
    g.writeNumberField("ts", m.timestampMillis());
    if (!m.headers().isEmpty()) {
      g.writeObjectFieldStart("headers");
      for (Map.Entry<String, String> h : m.headers().entrySet()) {
        g.writeStringField(h.getKey(), h.getValue());
      }
      g.writeEndObject();
    }
    writePayload(g, m.payload());
    g.writeEndObject();
  }

  /** Writes {@code "payload": text} for UTF-8 payloads, {@code "payload64": base64} otherwise. */
  public static void writePayload(JsonGenerator g, byte[] payload) throws IOException {
    String text = utf8OrNull(payload);
    if (text != null) {
      g.writeStringField("payload", text);
    } else {
      g.writeStringField("payload64", Base64.getEncoder().encodeToString(payload));
    }
  }

  static String utf8OrNull(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  public static Batch decodeJson(byte[] body) {
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (IOException e) {
      throw new WireFormatException("malformed JSON: " + firstLine(e.getMessage()), e);
    }
    if (root == null || !root.isObject()) {
      throw new WireFormatException("body must be a JSON object {device, epoch, messages}");
    }
    String device = requiredText(root, "device", "device");
    long epoch = requiredLong(root, "epoch", "epoch");
    JsonNode msgs = root.get("messages");
    if (msgs == null || !msgs.isArray()) {
      throw new WireFormatException("field 'messages' is missing or not an array");
    }
    List<Message> messages = new ArrayList<>(msgs.size());
    for (int i = 0; i < msgs.size(); i++) {
      messages.add(decodeMessage(msgs.get(i), "messages[" + i + "]"));
    }
    return new Batch(device, epoch, messages);
  }

  private static Message decodeMessage(JsonNode n, String where) {
    if (!n.isObject()) {
      throw new WireFormatException("field '" + where + "' must be an object");
    }
    long seq = requiredLong(n, "seq", where + ".seq");
    if (seq < 1) {
      throw new WireFormatException("field '" + where + ".seq' must be >= 1, was " + seq);
    }
    JsonNode topicNode = n.get("topic");
    if (topicNode == null || !topicNode.isTextual()) {
      throw new WireFormatException("field '" + where + ".topic' is missing or not a string");
    }
    Priority priority;
    JsonNode p = n.get("priority");
    if (p == null || p.isNull()) {
      priority = Priority.NORMAL;
    } else if (p.isTextual()) {
      try {
        priority = Priority.parse(p.asText());
      } catch (IllegalArgumentException e) {
        throw new WireFormatException("field '" + where + ".priority': " + e.getMessage());
      }
    } else {
      throw new WireFormatException("field '" + where + ".priority' must be a string");
    }
    JsonNode tsNode = n.get("ts");
    long ts = 0;
    if (tsNode != null && !tsNode.isNull()) {
      if (!tsNode.canConvertToLong() || !tsNode.isIntegralNumber()) {
        throw new WireFormatException("field '" + where + ".ts' must be an integer (epoch millis)");
      }
      ts = tsNode.longValue();
    }
    Map<String, String> headers = Map.of();
    JsonNode h = n.get("headers");
    if (h != null && !h.isNull()) {
      if (!h.isObject()) {
        throw new WireFormatException("field '" + where + ".headers' must be an object of strings");
      }
      headers = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isTextual()) {
          throw new WireFormatException(
              "field '" + where + ".headers." + e.getKey() + "' must be a string");
        }
        headers.put(e.getKey(), e.getValue().asText());
      }
    }
    JsonNode text = n.get("payload");
    JsonNode b64 = n.get("payload64");
    byte[] payload;
    if (text != null && b64 != null) {
      throw new WireFormatException("field '" + where + "' has both payload and payload64");
    } else if (text != null) {
      if (!text.isTextual()) {
        throw new WireFormatException("field '" + where + ".payload' must be a string");
      }
      payload = text.asText().getBytes(StandardCharsets.UTF_8);
    } else if (b64 != null) {
      if (!b64.isTextual()) {
        throw new WireFormatException("field '" + where + ".payload64' must be a base64 string");
      }
      try {
        payload = Base64.getDecoder().decode(b64.asText());
      } catch (IllegalArgumentException e) {
        throw new WireFormatException("field '" + where + ".payload64' is not valid base64");
      }
    } else {
      throw new WireFormatException("field '" + where + ".payload' is missing (or payload64)");
    }
    return new Message(seq, topicNode.asText(), priority, ts, headers, payload);
  }

  /** True if an {@code Accept} header value asks for the binary result. */
  public static boolean acceptsBinary(String accept) {
    return accept != null && accept.toLowerCase(Locale.ROOT).contains(BINARY);
  }

  /** Encodes a result as binary or JSON; see {@link #acceptsBinary}. */
  public static byte[] encodeResult(BatchResult result, boolean binary) {
    return binary ? BinaryResultFormat.encode(result) : encodeResult(result);
  }

  /** Decodes a result by the answer's media type ({@code null} or anything else means JSON). */
  public static BatchResult decodeResult(String contentType, byte[] body) {
    if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith(BINARY)) {
      return BinaryResultFormat.decode(body);
    }
    return decodeResult(body);
  }

  public static byte[] encodeResult(BatchResult result) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + result.results().size() * 32);
    try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("results");
      for (RecordResult r : result.results()) {
        g.writeStartObject();
        g.writeNumberField("seq", r.seq());
        g.writeStringField("status", r.status().wireName());
        if (r.reason() != null) {
          g.writeStringField("reason", r.reason());
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeNumberField("serverTime", result.serverTimeMillis());
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public static BatchResult decodeResult(byte[] body) {
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (IOException e) {
      throw new WireFormatException("malformed result JSON: " + firstLine(e.getMessage()), e);
    }
    if (root == null || !root.isObject() || !root.path("results").isArray()) {
      throw new WireFormatException("result must be a JSON object with a 'results' array");
    }
    JsonNode arr = root.get("results");
    List<RecordResult> results = new ArrayList<>(arr.size());
    for (int i = 0; i < arr.size(); i++) {
      JsonNode r = arr.get(i);
      long seq = requiredLong(r, "seq", "results[" + i + "].seq");
      String status = requiredText(r, "status", "results[" + i + "].status");
      RecordResult.Status s;
      try {
        s = RecordResult.Status.valueOf(status.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new WireFormatException("field 'results[" + i + "].status' is unknown: " + status);
      }
      String reason = r.hasNonNull("reason") ? r.get("reason").asText() : null;
      if (s == RecordResult.Status.REJECTED && (reason == null || reason.isBlank())) {
        reason = "rejected by server (no reason given)";
      }
      results.add(new RecordResult(seq, s, reason));
    }
    return new BatchResult(results, root.path("serverTime").asLong(0));
  }

  /** The shared mapper (configured, thread-safe) for other JSON the project writes. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  private static String requiredText(JsonNode n, String field, String where) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new WireFormatException("field '" + where + "' is missing or not a string");
    }
    return v.asText();
  }

  private static long requiredLong(JsonNode n, String field, String where) {
    JsonNode v = n.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new WireFormatException("field '" + where + "' is missing or not an integer");
    }
    return v.longValue();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
