package dev.outpost.server.internal;

import io.helidon.webserver.http.ServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.OptionalLong;

/** Reads request bodies with a hard byte limit, answering 413 as soon as it is crossed. */
final class HttpBodies {
  private HttpBodies() {}

  static byte[] read(ServerRequest req, int maxBytes) {
    OptionalLong declared = req.headers().contentLength();
    if (declared.isPresent() && declared.getAsLong() > maxBytes) {
      throw tooLarge(declared.getAsLong(), maxBytes);
    }
    if (!req.content().hasEntity()) {
      return new byte[0];
    }
    try (InputStream in = req.content().inputStream()) {
      int initial = (int) Math.min(maxBytes, declared.orElse(8192));
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(initial, 64));
      byte[] buf = new byte[16384];
      long total = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        total += n;
        if (total > maxBytes) {
          throw tooLarge(total, maxBytes);
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } catch (IOException | UncheckedIOException e) {
      // Usually the client went away mid-body; nothing was stored.
      throw ApiException.badRequest("unreadable_body", "cannot read the request body: " + e.getMessage());
    }
  }

  private static ApiException tooLarge(long size, int maxBytes) {
    return new ApiException(413, "body_too_large",
        "request body of " + size + "+ bytes is over the limit of " + maxBytes + " bytes");
  }
}
