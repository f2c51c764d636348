package dev.outpost.edge;

/**
 * The store could not commit (disk error, full file system, database lost). Nothing of the
 * failed operation was acknowledged; everything acknowledged before stays durable. The message
 * names the store file and the SQLite error.
 */
public final class OutboxStorageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public OutboxStorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
