package dev.outpost.core.wire;

/**
 * A body that is, or inflates to, more than the allowed number of bytes. A subclass of {@link
 * WireFormatException} so existing callers keep working; a server answers it with 413, not 400.
 */
public final class BodyTooLargeException extends WireFormatException {
  private static final long serialVersionUID = 1L;

  public BodyTooLargeException(String message) {
    super(message);
  }
}
