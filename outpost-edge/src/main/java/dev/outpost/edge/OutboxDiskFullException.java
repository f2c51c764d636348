package dev.outpost.edge;

/**
 * The file system holding the store is full (SQLite reported {@code SQLITE_FULL}): the message
 * names the store file and how to make room, e.g. {@code outbox full: disk full at
 * /var/lib/outpost/outbox.db (SQLITE_FULL) ...}. Nothing of the refused append was written;
 * everything acknowledged before stays durable. Appends are accepted again by themselves once
 * space returns (records delivered and deleted, or other files removed).
 */
public final class OutboxDiskFullException extends OutboxFullException {
  private static final long serialVersionUID = 1L;

  public OutboxDiskFullException(String message, Throwable cause) {
    super(message, cause);
  }
}
