package dev.outpost.core.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte array for the binary encodings (batches, document states, pull pages): unsigned
 * LEB128 varints, zigzag for signed values, strings as a varint length then UTF-8. No per-byte
 * locking, unlike ByteArrayOutputStream. Not thread-safe.
 */
public final class ByteSink {
  private byte[] buf;
  private int pos;

  public ByteSink(int size) {
    buf = new byte[Math.max(16, size)];
  }

  private void room(int n) {
    if (buf.length - pos < n) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
    }
  }

  public void u8(int b) {
    room(1);
    buf[pos++] = (byte) b;
  }

  /** Eight bytes, big-endian. */
  public void u64(long v) {
    room(8);
    for (int i = 7; i >= 0; i--) {
      buf[pos++] = (byte) (v >>> (8 * i));
    }
  }

  public void varint(long v) {
    room(10);
    while ((v & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[pos++] = (byte) v;
  }

  public void zigzag(long v) {
    varint((v << 1) ^ (v >> 63));
  }

  public void bytes(byte[] b) {
    bytes(b, 0, b.length);
  }

  public void bytes(byte[] b, int off, int len) {
    room(len);
    System.arraycopy(b, off, buf, pos, len);
    pos += len;
  }

  public void string(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    varint(b.length);
    bytes(b, 0, b.length);
  }

  public int size() {
    return pos;
  }

  public byte[] toByteArray() {
    return pos == buf.length ? buf : Arrays.copyOf(buf, pos);
  }
}
