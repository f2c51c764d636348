package dev.outpost.server;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.outpost.core.Message;
import dev.outpost.core.wire.WireCodec;
import java.io.IOException;
import java.util.Map;

/**
 * A record as the server holds it: the device's message plus where and when the server took it.
 *
 * @param serverSeq the server's order: grows with commit order, so paging {@code after} the last
 *     seen value never skips a record
 * @param deviceId the device that sent it
 * @param epoch the sending outbox's epoch
 * @param message the record itself (its seq, topic, priority, ts, headers, payload)
 * @param receivedAt when the server received the batch (epoch millis)
 */
public record StoredRecord(long serverSeq, String deviceId, long epoch, Message message, long receivedAt) {

  /**
   * Writes the record as the read-back API and {@code outpost export} show it: {@code
   * {"serverSeq":17,"device":"dev-1","epoch":123,"seq":5,"topic":"t","priority":"HIGH",
   * "ts":1700000000000,"receivedAt":1700000000100,"headers":{},"payload":"text"}} ({@code
   * payload64} instead of {@code payload} when the payload is not UTF-8).
   */
  public void writeJson(JsonGenerator g) throws IOException {
    g.writeStartObject();
    g.writeNumberField("serverSeq", serverSeq);
    g.writeStringField("device", deviceId);
    g.writeNumberField("epoch", epoch);
    g.writeNumberField("seq", message.seq());
    g.writeStringField("topic", message.topic());
    g.writeStringField("priority", message.priority().name());
    g.writeNumberField("ts", message.timestampMillis());
    g.writeNumberField("receivedAt", receivedAt);
    g.writeObjectFieldStart("headers");
    for (Map.Entry<String, String> h : message.headers().entrySet()) {
      g.writeStringField(h.getKey(), h.getValue());
    }
    g.writeEndObject();
    WireCodec.writePayload(g, message.payload());
    g.writeEndObject();
  }
}
