package dev.outpost.core.wire;

import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.internal.ByteSink;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compact binary form of a batch ({@value WireCodec#BINARY}). All integers are unsigned
 * LEB128 varints; "zigzag" marks a signed delta. Strings are a varint byte length then UTF-8.
 *
 * <pre>
 * batch   := "OPB1" device:string epoch:varint count:varint message*count
 * message := seqDelta:zigzag        (seq minus the previous message's seq; the first: minus 0)
 *            topicRef:varint        (0 = a new topic follows as a string; k = the k-th topic seen)
 *            [topic:string]
 *            priority:byte          (0 CRITICAL .. 3 LOW)
 *            tsDelta:zigzag         (ts minus the previous message's ts; the first: minus 0)
 *            headerCount:varint (key:string value:string)*headerCount
 *            payload:bytes          (varint length, then the bytes)
 * </pre>
 *
 * The decoder checks every length against what is left, so no input can make it allocate more
 * than the body's size or loop without bound.
 */
final class BinaryBatchFormat {
  private static final byte[] MAGIC = {'O', 'P', 'B', '1'};

  private BinaryBatchFormat() {}

  static byte[] encode(Batch batch) {
    int estimate = 32;
    for (Message m : batch.messages()) {
      estimate += m.payload().length + 16;
    }
    ByteSink out = new ByteSink(estimate);
    out.bytes(MAGIC);
    out.string(batch.deviceId());
    out.varint(batch.epoch());
    out.varint(batch.size());
    Map<String, Integer> topics = new HashMap<>();
    long prevSeq = 0;
    long prevTs = 0;
    for (Message m : batch.messages()) {
      out.zigzag(m.seq() - prevSeq);
      prevSeq = m.seq();
      Integer ref = topics.get(m.topic());
      if (ref == null) {
        out.varint(0);
        out.string(m.topic());
        topics.put(m.topic(), topics.size() + 1);
      } else {
        out.varint(ref);
      }
      out.u8(m.priority().rank());
      out.zigzag(m.timestampMillis() - prevTs);
      prevTs = m.timestampMillis();
      out.varint(m.headers().size());
      for (Map.Entry<String, String> h : m.headers().entrySet()) {
        out.string(h.getKey());
        out.string(h.getValue());
      }
      out.varint(m.payload().length);
      out.bytes(m.payload());
    }
    return out.toByteArray();
  }

  static Batch decode(byte[] body) {
    In in = new In(body);
    for (byte b : MAGIC) {
      if (in.pos >= body.length || body[in.pos++] != b) {
        throw new WireFormatException("binary batch must start with the magic 'OPB1'");
      }
    }
    String device = in.string("device");
    long epoch = in.varint("epoch");
    long count = in.varint("count");
    // Each message takes at least 6 bytes, so a count beyond that is a lie we refuse up front.
    if (count > (body.length - in.pos) / 6 + 1) {
      throw new WireFormatException("binary batch claims " + count + " messages in " + body.length + " bytes");
    }
    List<Message> messages = new ArrayList<>((int) count);
    List<String> topics = new ArrayList<>();
    long seq = 0;
    long ts = 0;
    for (int i = 0; i < count; i++) {
      in.message = i; // field names are built only when an error needs one
      seq += in.zigzag("seq");
      if (seq < 1) {
        throw new WireFormatException("field '" + in.field("seq") + "' must be >= 1, was " + seq);
      }
      long ref = in.varint("topic");
      String topic;
      if (ref == 0) {
        topic = in.string("topic");
        topics.add(topic);
      } else if (ref <= topics.size()) {
        topic = topics.get((int) ref - 1);
      } else {
        throw new WireFormatException("field '" + in.field("topic") + "' refers to unknown topic #" + ref);
      }
      int rank = in.u8("priority");
      if (rank > 3) {
        throw new WireFormatException("field '" + in.field("priority") + "' is unknown rank " + rank);
      }
      ts += in.zigzag("ts");
      long hc = in.varint("headers");
      if (hc > (body.length - in.pos) / 2) {
        throw new WireFormatException("field '" + in.field("headers") + "' count " + hc + " exceeds the body");
      }
      Map<String, String> headers = hc == 0 ? Map.of() : new LinkedHashMap<>();
      for (int h = 0; h < hc; h++) {
        headers.put(in.string("headers"), in.string("headers"));
      }
      byte[] payload = in.bytes("payload");
      messages.add(new Message(seq, topic, Priority.ofRank(rank), ts, headers, payload));
    }
    if (in.pos != body.length) {
      throw new WireFormatException((body.length - in.pos) + " trailing bytes after the last message");
    }
    return new Batch(device, epoch, messages);
  }

  private static final class In {
    final byte[] body;
    int pos;
    int message = -1; // index of the message being read, -1 for the batch header

    /** The full name of a field for an error message, e.g. {@code messages[3].topic}. */
    String field(String name) {
      return message < 0 ? name : "messages[" + message + "]." + name;
    }

    In(byte[] body) {
      this.body = body;
    }

    long varint(String field) {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= body.length) {
          throw new WireFormatException("binary batch ends inside field '" + field(field) + "'");
        }
        byte b = body[pos++];
        result |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new WireFormatException("field '" + field(field) + "' is a varint longer than 10 bytes");
    }

    long zigzag(String field) {
      long v = varint(field);
      return (v >>> 1) ^ -(v & 1);
    }

    int u8(String field) {
      if (pos >= body.length) {
        throw new WireFormatException("binary batch ends inside field '" + field(field) + "'");
      }
      return body[pos++] & 0xFF;
    }

    /** Reads a varint length, checks it against what is left, and returns it. */
    int length(String field) {
      long len = varint(field);
      if (len > body.length - pos) {
        throw new WireFormatException("field '" + field(field) + "' length " + len + " exceeds the body");
      }
      return (int) len;
    }

    byte[] bytes(String field) {
      int len = length(field);
      byte[] b = java.util.Arrays.copyOfRange(body, pos, pos + len);
      pos += len;
      return b;
    }

    String string(String field) {
      int len = length(field);
      String s = new String(body, pos, len, StandardCharsets.UTF_8);
      pos += len;
      return s;
    }
  }
}
