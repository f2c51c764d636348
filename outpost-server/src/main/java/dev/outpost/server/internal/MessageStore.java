package dev.outpost.server.internal;

import dev.outpost.core.Message;
import dev.outpost.core.sync.Op;
import dev.outpost.server.StoredRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A store's records: exactly-once ingest through the single writer's group commit, and reading
 * them back in server order. Thread-safe.
 */
public interface MessageStore {

  /**
   * One device's batch after validation: the records to store and how many were refused.
   *
   * @param sync null, or the replicated-document ops the messages carry and how to merge them: the
   *     store merges the ops of the messages it stores now in the same transaction
   */
  record Write(String deviceId, long epoch, List<Message> messages, int rejected, long receivedAt, SyncOps sync) {
    public Write(String deviceId, long epoch, List<Message> messages, int rejected, long receivedAt) {
      this(deviceId, epoch, messages, rejected, receivedAt, null);
    }
  }

  /**
   * The ops of a write's messages ({@code ops.get(i)} for message i; null for a plain record) and
   * the merger that applies them.
   */
  record SyncOps(List<Op> ops, SyncMerger merger) {}

  /**
   * Stores the records of one write, each at most once per (deviceId, epoch, seq).
   *
   * @return for each message in order: true if stored now, false if it was already stored
   *     (before, or earlier in the same write)
   */
  default boolean[] ingest(Write write) {
    return await(submit(write, null));
  }

  /**
   * Queues a write without waiting: the future completes when it is committed (with what
   * {@link #ingest} returns) or failed. Wait for it with {@link #await}.
   *
   * @param after null, or the future of a write queued before this one: this write is stored
   *     only if that one commits (in the same transaction or an earlier one), and otherwise fails
   *     with {@link PredecessorNotStoredException}
   */
  CompletableFuture<boolean[]> submit(Write write, CompletableFuture<?> after);

  /** Waits for a {@link #submit}ted write, at most the store timeout; throws as {@link #ingest}. */
  boolean[] await(CompletableFuture<boolean[]> commit);

  /** Records with serverSeq > after, in server order; device and topic null for all. */
  List<StoredRecord> page(long after, int limit, String device, String topic);

  /** Records accepted but not yet committed (for load shedding); 0 if not tracked. */
  default int pendingRecords() {
    return 0;
  }
}
