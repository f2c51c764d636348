package dev.outpost.server.internal;

/** The store could not do what was asked (unreachable, disk full, timeout). Retrying may help. */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}
