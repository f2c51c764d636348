package dev.outpost.edge;

/**
 * The byte budget leaves no room for this record and its priority may not evict. The message
 * says how full the store is and what is pending, e.g. {@code outbox full: 498 MiB of 500 MiB
 * used, 1200000 pending (CRITICAL 0, HIGH 12, NORMAL 1199988, LOW 0)}. Nothing was written.
 * The file system itself being full is the subclass {@link OutboxDiskFullException}.
 */
public class OutboxFullException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public OutboxFullException(String message) {
    super(message);
  }

  public OutboxFullException(String message, Throwable cause) {
    super(message, cause);
  }
}
