package dev.outpost.edge;

import java.util.Collection;
import java.util.Map;

/**
 * The delivery side of the {@link Outbox}: what the sync engine calls. It {@link #lease leases}
 * batches in priority order (CRITICAL first, FIFO by seq within a (topic, priority) lane), then
 * {@link #ack acks} what the server stored, {@link #reject rejects} what it refused (to dead
 * letters), or {@link #release releases} what got no answer.
 *
 * <p>A lease that is never settled returns to pending after its timeout, and every lease is
 * pending again after a restart. These calls are committed when they return but not fsync'd on
 * their own: a power cut may undo the last of them, so those records are sent again and the
 * server, which dedupes by (device, epoch, seq), answers "duplicate".
 *
 * <p>Thread-safe.
 */
public interface Drain {

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

  /** A consistent snapshot of counters and sizes; cheap (no table scans). */
  OutboxStats stats();
}
