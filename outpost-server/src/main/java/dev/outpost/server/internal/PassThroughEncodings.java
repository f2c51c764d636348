package dev.outpost.server.internal;

import io.helidon.http.Headers;
import io.helidon.http.encoding.ContentDecoder;
import io.helidon.http.encoding.ContentEncoder;
import io.helidon.http.encoding.ContentEncodingContext;
import io.helidon.http.encoding.ContentEncodingContextConfig;

/**
 * Tells Helidon to hand every request body over exactly as sent, whatever its {@code
 * Content-Encoding}: {@link IngestHandler} inflates gzip and zstd itself with a size bound and
 * answers an unknown encoding with 415 (Helidon's own handling would answer 400 with no body, or
 * inflate without our limit). Responses are never compressed. Stateless, thread-safe.
 */
public final class PassThroughEncodings implements ContentEncodingContext {
  private static final ContentEncodingContextConfig CONFIG =
      ContentEncodingContextConfig.builder().contentEncodingsDiscoverServices(false).buildPrototype();

  @Override
  public ContentEncodingContextConfig prototype() {
    return CONFIG;
  }

  @Override
  public boolean contentEncodingEnabled() {
    return false;
  }

  @Override
  public boolean contentDecodingEnabled() {
    return true;
  }

  @Override
  public boolean contentEncodingSupported(String encodingId) {
    return "identity".equals(encodingId);
  }

  @Override
  public boolean contentDecodingSupported(String encodingId) {
    return true;
  }

  @Override
  public ContentEncoder encoder(String encodingId) {
    return ContentEncoder.NO_OP;
  }

  @Override
  public ContentDecoder decoder(String encodingId) {
    return ContentDecoder.NO_OP;
  }

  @Override
  public ContentEncoder encoder(Headers headers) {
    return ContentEncoder.NO_OP;
  }
}
