package dev.outpost.core.wire;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The {@code Content-Encoding} of an ingest body. Decoding is bounded: a body that inflates past
 * {@code maxBytes} is refused, so a small compressed bomb cannot exhaust the server's heap.
 */
public enum ContentEncoding {
  IDENTITY("identity"),
  GZIP("gzip"),
  ZSTD("zstd");

  /** Bodies over this many bytes are zstd-compressed at level 1 instead of 3. */
  static final int FAST_LEVEL_BYTES = 64 * 1024;

  private final String headerValue;

  ContentEncoding(String headerValue) {
    this.headerValue = headerValue;
  }

  public String headerValue() {
    return headerValue;
  }

  /** Parses a header value; null or empty means identity. Unknown values throw. */
  public static ContentEncoding parse(String header) {
    if (header == null || header.isBlank()) {
      return IDENTITY;
    }
    return switch (header.trim().toLowerCase(Locale.ROOT)) {
      case "identity" -> IDENTITY;
      case "gzip", "x-gzip" -> GZIP;
      case "zstd" -> ZSTD;
      default -> throw new IllegalArgumentException(
          "unsupported Content-Encoding '" + header + "' (supported: identity, gzip, zstd)");
    };
  }

  public byte[] encode(byte[] body) {
    return switch (this) {
      case IDENTITY -> body;
      case GZIP -> {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, body.length / 4));
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 8192)) {
          gz.write(body);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        yield out.toByteArray();
      }
      // Level 3 (zstd's default) for small bodies; a big batch repeats itself enough that
      // level 1 keeps nearly the same ratio at about half the CPU.
      case ZSTD -> Zstd.compress(body, body.length > FAST_LEVEL_BYTES ? 1 : 3);
    };
  }

  /**
   * Inflates a body.
   *
   * @throws WireFormatException if the body is not valid for this encoding or inflates past
   *     {@code maxBytes}
   */
  public byte[] decode(byte[] body, int maxBytes) {
    if (this == IDENTITY) {
      if (body.length > maxBytes) {
        throw new BodyTooLargeException("body is " + body.length + " bytes, over the limit of " + maxBytes);
      }
      return body;
    }
    if (this == ZSTD) {
      byte[] oneShot = decodeZstdFrame(body, maxBytes);
      if (oneShot != null) {
        return oneShot;
      }
    }
    try (InputStream in =
        this == GZIP
            ? new GZIPInputStream(new ByteArrayInputStream(body), 8192)
            : new ZstdInputStream(new ByteArrayInputStream(body))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxBytes, Math.max(256, body.length * 4)));
      byte[] buf = new byte[16384];
      int total = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        total += n;
        if (total > maxBytes) {
          throw new BodyTooLargeException(
              headerValue + " body inflates past the limit of " + maxBytes + " bytes");
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } catch (IOException | RuntimeException e) {
      if (e instanceof WireFormatException w) {
        throw w;
      }
      throw new WireFormatException("body is not valid " + headerValue + ": " + e.getMessage(), e);
    }
  }

  /**
   * One-shot inflation of a single zstd frame that declares its size (what {@link #encode}
   * writes): the declared size is checked against the limit before anything is allocated, and
   * the frame must inflate to exactly that size. Returns null for a frame without a declared
   * size, or a body holding more than one frame, to be streamed with the running bound instead.
   */
  private static byte[] decodeZstdFrame(byte[] body, int maxBytes) {
    long declared;
    long frameSize;
    try {
      declared = Zstd.getFrameContentSize(body);
      frameSize = Zstd.findFrameCompressedSize(body);
    } catch (RuntimeException e) {
      return null; // let the stream decoder name the problem
    }
    if (declared < 0 || frameSize != body.length) {
      return null; // unknown size (or an error code), or several frames
    }
    if (declared > maxBytes) {
      throw new BodyTooLargeException("zstd body declares " + declared + " bytes, over the limit of " + maxBytes);
    }
    byte[] out = new byte[(int) declared];
    long n;
    try {
      n = Zstd.decompressByteArray(out, 0, out.length, body, 0, body.length);
    } catch (RuntimeException e) {
      throw new WireFormatException("body is not valid zstd: " + e.getMessage(), e);
    }
    if (Zstd.isError(n) || n != declared) {
      throw new WireFormatException("body is not valid zstd: "
          + (Zstd.isError(n) ? Zstd.getErrorName(n) : "inflated to " + n + " bytes, frame declared " + declared));
    }
    return out;
  }
}
