package dev.outpost.core.wire;

import dev.outpost.core.BatchResult;
import dev.outpost.core.RecordResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The compact binary form of a batch result ({@value WireCodec#BINARY}), sent only to a client
 * that asks for it with {@code Accept}. Integers are unsigned LEB128 varints, "zigzag" a signed
 * delta, a string a varint byte length then UTF-8.
 *
 * <pre>
 * result := "OPR1" serverTime:varint count:varint record*count
 * record := seqDelta:zigzag   (seq minus the previous record's seq; the first: minus 0)
 *           status:byte       (0 stored, 1 duplicate, 2 rejected)
 *           [reason:string]   (only for rejected)
 * </pre>
 *
 * A run of stored records in request order costs 2 bytes each. The decoder checks every length
 * against what is left. Stateless and thread-safe.
 */
final class BinaryResultFormat {
  private static final byte[] MAGIC = {'O', 'P', 'R', '1'};
  private static final RecordResult.Status[] STATUSES = RecordResult.Status.values();

  private BinaryResultFormat() {}

  static byte[] encode(BatchResult result) {
    byte[] out = new byte[24 + result.results().size() * 4];
    int pos = 0;
    System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
    pos += MAGIC.length;
    pos = varint(out, pos, result.serverTimeMillis());
    pos = varint(out, pos, result.results().size());
    long prev = 0;
    for (RecordResult r : result.results()) {
      byte[] reason = r.reason() == null ? null : r.reason().getBytes(StandardCharsets.UTF_8);
      int need = 12 + (reason == null ? 0 : reason.length + 5);
      if (out.length - pos < need) {
        out = Arrays.copyOf(out, Math.max(out.length * 2, pos + need));
      }
      long d = r.seq() - prev;
      prev = r.seq();
      pos = varint(out, pos, (d << 1) ^ (d >> 63));
      out[pos++] = (byte) r.status().ordinal();
      if (r.status() == RecordResult.Status.REJECTED) {
        pos = varint(out, pos, reason.length);
        System.arraycopy(reason, 0, out, pos, reason.length);
        pos += reason.length;
      }
    }
    return Arrays.copyOf(out, pos);
  }

  private static int varint(byte[] out, int pos, long v) {
    while ((v & ~0x7FL) != 0) {
      out[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[pos++] = (byte) v;
    return pos;
  }

  static BatchResult decode(byte[] body) {
    Reader in = new Reader(body);
    for (byte b : MAGIC) {
      if (in.pos >= body.length || body[in.pos++] != b) {
        throw new WireFormatException("binary result must start with the magic 'OPR1'");
      }
    }
    long serverTime = in.varint();
    long count = in.varint();
    // Each record takes at least 2 bytes: a larger count is a lie refused before allocating.
    if (count > (body.length - in.pos) / 2) {
      throw new WireFormatException("binary result claims " + count + " records in " + body.length + " bytes");
    }
    List<RecordResult> results = new ArrayList<>((int) count);
    long seq = 0;
    for (int i = 0; i < count; i++) {
      long v = in.varint();
      seq += (v >>> 1) ^ -(v & 1);
      if (in.pos >= body.length) {
        throw new WireFormatException("binary result ends inside results[" + i + "].status");
      }
      int status = body[in.pos++] & 0xFF;
      if (status >= STATUSES.length) {
        throw new WireFormatException("field 'results[" + i + "].status' is unknown code " + status);
      }
      RecordResult.Status s = STATUSES[status];
      String reason = null;
      if (s == RecordResult.Status.REJECTED) {
        long len = in.varint();
        if (len > body.length - in.pos) {
          throw new WireFormatException("field 'results[" + i + "].reason' length " + len + " exceeds the body");
        }
        reason = new String(body, in.pos, (int) len, StandardCharsets.UTF_8);
        in.pos += (int) len;
        if (reason.isBlank()) {
          reason = "rejected by server (no reason given)";
        }
      }
      results.add(new RecordResult(seq, s, reason));
    }
    if (in.pos != body.length) {
      throw new WireFormatException((body.length - in.pos) + " trailing bytes after the last result");
    }
    return new BatchResult(results, serverTime);
  }

  private static final class Reader {
    final byte[] body;
    int pos;

    Reader(byte[] body) {
      this.body = body;
    }

    long varint() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= body.length) {
          throw new WireFormatException("binary result ends inside a varint at byte " + pos);
        }
        byte b = body[pos++];
        result |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new WireFormatException("binary result has a varint longer than 10 bytes at byte " + pos);
    }
  }
}
