package dev.outpost.core.wire;

/** A body that is not a valid wire v1 document. The message names the field or byte at fault. */
public class WireFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WireFormatException(String message) {
    super(message);
  }

  public WireFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
