package dev.outpost.edge;

import dev.outpost.core.Priority;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The durable, local store every record enters before any network is tried.
 *
 * <p><b>Durability:</b> {@code append} returns (and {@code appendAsync}'s future completes) only
 * after the record is in a committed, fsync'd SQLite transaction. Concurrent appends share one
 * commit (group commit).
 *
 * <p><b>Identity:</b> the store has a random {@link #epoch()} fixed when it is created; each
 * record gets the next {@code seq}, never reused, also across crashes.
 *
 * <p><b>Delivery:</b> the sync engine {@link #lease leases} batches in priority order (CRITICAL
 * first, FIFO by seq within a (topic, priority) lane), then {@link #ack acks} what the server
 * stored, {@link #reject rejects} what it refused (to dead letters), or {@link #release releases}
 * what got no answer. A lease that is never settled returns to pending after the lease timeout,
 * and every lease is pending again after a restart. These delivery calls are committed when they
 * return but not fsync'd on their own: a power cut may undo the last of them, so those records
 * are sent again and the server, which dedupes by (device, epoch, seq), answers "duplicate".
 *
 * <p>Thread-safe. Implementations live in {@code dev.outpost.edge.internal}.
 */
public interface Outbox extends AutoCloseable {

  /** Opens (creating if needed) the store in {@code dir}. */
  static Outbox open(Path dir, OutboxConfig config) {
    return dev.outpost.edge.internal.SqliteOutbox.open(dir, config);
  }

  /** The random identity of this store, created with it. */
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

  /**
   * Leases the next batch: pending records, most urgent first, FIFO by seq within a lane, up to
   * the request's limits. Leased records are not handed out again until acked, rejected,
   * released, or the lease times out. Returns an empty lease when nothing qualifies.
   */
  Lease lease(LeaseRequest request);

  /** The server holds these durably: remove them (or keep them for the retention period). */
  void ack(Collection<Long> seqs);

  /** The server refused these for good: move them to dead letters with the reason. */
  void reject(Map<Long, String> reasonsBySeq);

  /** No answer for these: make them pending again (their attempt count stays increased). */
  void release(Collection<Long> seqs);

  /** Dead letters after {@code afterSeq}, by seq, at most {@code limit}. */
  List<DeadLetter> deadLetters(long afterSeq, int limit);

  /** Moves dead letters back to pending with a fresh attempt count; returns how many moved. */
  int retryDeadLetters(Collection<Long> seqs);

  /** Deletes dead letters for good (counted in stats); returns how many were deleted. */
  int purgeDeadLetters(Collection<Long> seqs);

  /** A consistent snapshot of counters and sizes; cheap (no table scans). */
  OutboxStats stats();

  /**
   * Runs housekeeping now, to the end (expiry, lease timeouts, space reclaim), in bounded runs
   * that let appends and acks in between; it also runs on a timer.
   */
  void housekeep();

  /** Flushes pending group commits, stops housekeeping, closes the database. Idempotent. */
  @Override
  void close();
}
