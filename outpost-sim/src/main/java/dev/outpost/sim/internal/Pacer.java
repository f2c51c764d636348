package dev.outpost.sim.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;

/**
 * Writes bytes either at once or at a fixed rate in small chunks (the TRICKLE fault). Stateless;
 * the sleeping is interruptible, so closing the proxy ends a trickle at once.
 */
final class Pacer {
  private Pacer() {}

  /** Writes and flushes {@code len} bytes; at most {@code bytesPerSecond} if that is > 0. */
  static void write(OutputStream out, byte[] b, int off, int len, int bytesPerSecond)
      throws IOException {
    if (bytesPerSecond <= 0) {
      out.write(b, off, len);
      out.flush();
      return;
    }
    int chunk = Math.max(1, Math.min(1024, bytesPerSecond / 10)); // about 10 writes a second
    for (int done = 0; done < len; ) {
      int n = Math.min(chunk, len - done);
      out.write(b, off + done, n);
      out.flush();
      done += n;
      long nanos = n * 1_000_000_000L / bytesPerSecond;
      try {
        Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("trickle interrupted (proxy closing)");
      }
    }
  }
}
