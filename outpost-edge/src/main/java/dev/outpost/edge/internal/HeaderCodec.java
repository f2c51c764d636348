package dev.outpost.edge.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Headers as stored in the {@code headers} column: a 2-byte big-endian count, then per entry a
 * 2-byte length and the UTF-8 bytes of the key, the same for the value. An empty map is stored
 * as NULL. Stateless and thread-safe.
 */
final class HeaderCodec {
  static final int MAX_ENTRY_BYTES = 0xFFFF;

  private HeaderCodec() {}

  static byte[] encode(Map<String, String> headers) {
    if (headers.isEmpty()) {
      return null;
    }
    byte[][] parts = new byte[headers.size() * 2][];
    int size = 2;
    int i = 0;
    for (Map.Entry<String, String> e : headers.entrySet()) {
      parts[i] = e.getKey().getBytes(StandardCharsets.UTF_8);
      parts[i + 1] = e.getValue().getBytes(StandardCharsets.UTF_8);
      size += 4 + parts[i].length + parts[i + 1].length;
      i += 2;
    }
    ByteBuffer buf = ByteBuffer.allocate(size);
    buf.putShort((short) headers.size());
    for (byte[] part : parts) {
      buf.putShort((short) part.length);
      buf.put(part);
    }
    return buf.array();
  }

  static Map<String, String> decode(byte[] bytes) {
    if (bytes == null) {
      return Map.of();
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    int count = Short.toUnsignedInt(buf.getShort());
    Map<String, String> headers = new LinkedHashMap<>(count * 2);
    for (int i = 0; i < count; i++) {
      headers.put(string(buf), string(buf));
    }
    return headers;
  }

  private static String string(ByteBuffer buf) {
    byte[] b = new byte[Short.toUnsignedInt(buf.getShort())];
    buf.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
