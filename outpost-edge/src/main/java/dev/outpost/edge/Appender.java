package dev.outpost.edge;

import dev.outpost.core.Priority;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The producer side of the {@link Outbox}: what an application (or the agent's local API) calls
 * to hand records over. Every call returns, or its future completes, only once the records are in
 * a committed, fsync'd SQLite transaction; concurrent calls share one commit (group commit).
 *
 * <p>Thread-safe.
 */
public interface Appender {

  /** The random identity of the store, fixed when it was created; with a seq it names a record. */
  long epoch();

  /**
   * Appends one record and returns its seq once it is durable.
   *
   * @throws OutboxFullException if the budget leaves no room and the priority may not evict
   * @throws IllegalArgumentException for a null/empty topic, a null or too large payload
   * @throws IllegalStateException if the outbox is closed
   * @throws OutboxStorageException if the commit failed (nothing of it was acknowledged)
   */
  long append(String topic, byte[] payload, Priority priority, Map<String, String> headers);

  default long append(String topic, byte[] payload, Priority priority) {
    return append(topic, payload, priority, Map.of());
  }

  /**
   * Like {@link #append} but completes when durable; argument errors complete exceptionally. May
   * block briefly while the outbox's internal queue is full (back-pressure on producers that
   * never wait for their futures).
   */
  CompletableFuture<Long> appendAsync(
      String topic, byte[] payload, Priority priority, Map<String, String> headers);

  /** Appends all records in one durable transaction, all or nothing; returns their seqs in order. */
  List<Long> appendAll(List<NewRecord> records);
}
