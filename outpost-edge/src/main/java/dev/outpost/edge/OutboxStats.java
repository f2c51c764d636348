package dev.outpost.edge;

import dev.outpost.core.Priority;
import java.util.Map;

/**
 * A snapshot of an outbox. Counters (evicted, expired, dead-lettered, purged) are cumulative over
 * the store's life and survive restarts.
 *
 * @param pendingCount records waiting, by priority (in-flight ones not included)
 * @param pendingBytes payload bytes waiting, by priority
 * @param inFlight records currently leased
 * @param deadLetters records in the dead-letter table
 * @param evicted LOW records evicted to make room, ever
 * @param expired records removed because their TTL passed, ever
 * @param deadLettered records ever moved to dead letters
 * @param bytesUsed bytes of the store's live database pages (what the budget counts; the WAL is
 *     transient and not included)
 * @param budgetBytes the configured budget
 * @param fullnessWarning 0, 80 or 90: the highest budget warning level currently crossed
 * @param oldestPendingAgeMillis age of the oldest pending record by its append time, 0 if none
 * @param epoch the store's identity
 * @param lastSeq the highest seq ever assigned
 * @param corruptStoresMovedAside how many times a corrupt store was found and moved aside
 * @param purged dead letters deleted for good by {@link Outbox#purgeDeadLetters}, ever
 * @param diskFullRefusals appends refused because the file system was full (SQLITE_FULL), since
 *     this process opened the store
 * @param lastStorageError the last storage error a write met (e.g. {@code disk full at ...
 *     (SQLITE_FULL)}), or null if none since open
 */
public record OutboxStats(
    Map<Priority, Long> pendingCount,
    Map<Priority, Long> pendingBytes,
    long inFlight,
    long deadLetters,
    long evicted,
    long expired,
    long deadLettered,
    long bytesUsed,
    long budgetBytes,
    int fullnessWarning,
    long oldestPendingAgeMillis,
    long epoch,
    long lastSeq,
    long corruptStoresMovedAside,
    long purged,
    long diskFullRefusals,
    String lastStorageError) {

  public OutboxStats {
    pendingCount = Map.copyOf(pendingCount);
    pendingBytes = Map.copyOf(pendingBytes);
  }

  public long pendingTotal() {
    return pendingCount.values().stream().mapToLong(Long::longValue).sum();
  }
}
