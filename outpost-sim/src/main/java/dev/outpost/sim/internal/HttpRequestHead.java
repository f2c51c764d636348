package dev.outpost.sim.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 request reader for the proxy: the request line and headers, and the body
 * framed by {@code Content-Length} or {@code Transfer-Encoding: chunked}. It keeps the raw bytes
 * so a request can be forwarded byte for byte, except that an {@code h2c} upgrade offer is
 * removed (the proxy speaks HTTP/1.1 only, so the server must not switch protocols).
 *
 * <p>Not thread-safe; one instance per request.
 */
public final class HttpRequestHead {
  static final int MAX_HEAD_BYTES = 64 * 1024;

  /** Where body bytes go while they are copied. */
  @FunctionalInterface
  public interface Sink {
    void write(byte[] b, int off, int len) throws IOException;
  }

  private final byte[] bytes;
  private final String requestLine;
  private final long contentLength;
  private final boolean chunked;
  private final boolean connectionClose;
  private final boolean expectContinue;

  private HttpRequestHead(byte[] bytes, String requestLine, long contentLength, boolean chunked,
      boolean close, boolean expectContinue) {
    this.bytes = bytes;
    this.requestLine = requestLine;
    this.contentLength = contentLength;
    this.chunked = chunked;
    this.connectionClose = close;
    this.expectContinue = expectContinue;
  }

  /**
   * Reads one request head; {@code null} if the stream ends before the first byte (the client
   * closed a kept-alive connection). Throws on a malformed or oversized head.
   */
  public static HttpRequestHead read(InputStream in) throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream(512);
    int last4 = 0; // the last four bytes read, to spot "\r\n\r\n"
    int b;
    while ((b = in.read()) >= 0) {
      if (raw.size() == 0 && (b == '\r' || b == '\n')) {
        continue; // tolerate stray CRLF between requests (RFC 9112 2.2)
      }
      raw.write(b);
      if (raw.size() > MAX_HEAD_BYTES) {
        throw new IOException("request head larger than " + MAX_HEAD_BYTES + " bytes");
      }
      last4 = (last4 << 8) | b;
      if (last4 == 0x0d0a0d0a) {
        return parse(raw.toString(StandardCharsets.ISO_8859_1));
      }
    }
    if (raw.size() == 0) {
      return null;
    }
    throw new IOException("connection ended inside a request head after " + raw.size() + " bytes");
  }

  private static HttpRequestHead parse(String head) throws IOException {
    String[] lines = head.split("\r\n");
    String requestLine = lines[0];
    if (requestLine.split(" ").length != 3) {
      throw new IOException("malformed request line '" + requestLine + "'");
    }
    long contentLength = -1;
    boolean chunked = false;
    boolean close = false;
    boolean h2cUpgrade = false;
    boolean expectContinue = false;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        throw new IOException("malformed header line '" + lines[i] + "'");
      }
      String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).trim();
      switch (name) {
        case "content-length" -> {
          try {
            contentLength = Long.parseLong(value);
          } catch (NumberFormatException e) {
            throw new IOException("bad Content-Length '" + value + "'");
          }
        }
        case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
        case "connection" -> close = value.toLowerCase(Locale.ROOT).contains("close");
        case "upgrade" -> h2cUpgrade = value.toLowerCase(Locale.ROOT).contains("h2c");
        case "expect" -> expectContinue = value.equalsIgnoreCase("100-continue");
        default -> { }
      }
    }
    StringBuilder out = new StringBuilder(head.length()).append(requestLine).append("\r\n");
    for (int i = 1; i < lines.length; i++) {
      String name = lines[i].substring(0, lines[i].indexOf(':')).trim().toLowerCase(Locale.ROOT);
      boolean drop = h2cUpgrade
          && (name.equals("upgrade") || name.equals("http2-settings") || name.equals("connection"));
      if (!drop) {
        out.append(lines[i]).append("\r\n");
      }
    }
    if (close && h2cUpgrade) {
      out.append("Connection: close\r\n"); // keep the client's wish, dropped with the upgrade
    }
    out.append("\r\n");
    return new HttpRequestHead(
        out.toString().getBytes(StandardCharsets.ISO_8859_1), requestLine, contentLength,
        chunked, close, expectContinue);
  }

  /** The head as it is forwarded (with any h2c upgrade offer removed). */
  public byte[] bytes() {
    return bytes;
  }

  public String requestLine() {
    return requestLine;
  }

  public boolean connectionClose() {
    return connectionClose;
  }

  /** The declared body length, or -1 (none, or chunked). */
  public long contentLength() {
    return chunked ? -1 : contentLength;
  }

  /** The client waits for {@code 100 Continue} before it sends the body. */
  public boolean expectContinue() {
    return expectContinue;
  }

  /** Copies the body from {@code in} to {@code sink} (a discarding sink skips it). */
  public void copyBody(InputStream in, Sink sink) throws IOException {
    byte[] buf = new byte[8192];
    if (chunked) {
      copyChunked(in, sink, buf);
      return;
    }
    long remaining = Math.max(0, contentLength);
    while (remaining > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
      if (n < 0) {
        throw new IOException("connection ended with " + remaining + " body bytes missing");
      }
      sink.write(buf, 0, n);
      remaining -= n;
    }
  }

  private static void copyChunked(InputStream in, Sink sink, byte[] buf) throws IOException {
    while (true) {
      byte[] sizeLine = readLine(in);
      sink.write(sizeLine, 0, sizeLine.length);
      String text = new String(sizeLine, StandardCharsets.ISO_8859_1).trim();
      int semicolon = text.indexOf(';');
      long size;
      try {
        size = Long.parseLong(semicolon < 0 ? text : text.substring(0, semicolon).trim(), 16);
      } catch (NumberFormatException e) {
        throw new IOException("bad chunk size line '" + text + "'");
      }
      if (size == 0) {
        byte[] trailer;
        do { // trailers, then the empty line
          trailer = readLine(in);
          sink.write(trailer, 0, trailer.length);
        } while (trailer.length > 2);
        return;
      }
      long remaining = size + 2; // data and its CRLF
      while (remaining > 0) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
        if (n < 0) {
          throw new IOException("connection ended inside a chunk");
        }
        sink.write(buf, 0, n);
        remaining -= n;
      }
    }
  }

  private static byte[] readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(16);
    int b;
    while ((b = in.read()) >= 0) {
      line.write(b);
      if (b == '\n') {
        return line.toByteArray();
      }
      if (line.size() > 4096) {
        throw new IOException("chunk line longer than 4096 bytes");
      }
    }
    throw new IOException("connection ended inside a chunk header");
  }
}
