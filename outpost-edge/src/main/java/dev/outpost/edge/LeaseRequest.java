package dev.outpost.edge;

import dev.outpost.core.Priority;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * What to lease.
 *
 * @param maxRecords at most this many records (>= 1)
 * @param maxBytes at most about this many payload bytes (the first record is always included)
 * @param lowestPriority include this priority and everything more urgent (DEGRADED links ask for
 *     HIGH)
 * @param excludedLanes lanes not to lease from; the other lanes of a priority are still taken in
 *     seq order, FIFO within each. An excluded lane's backlog is scanned over (cost grows with
 *     the rows skipped), so one lease call examines a bounded number of rows (at least 100,000,
 *     or 16 per record asked for) and then returns what it found, possibly fewer records or
 *     none. The sync engine passes none.
 * @param leaseTimeout after this, unsettled records return to pending
 */
public record LeaseRequest(
    int maxRecords, long maxBytes, Priority lowestPriority, Set<Lane> excludedLanes, Duration leaseTimeout) {
  public LeaseRequest {
    if (maxRecords < 1) {
      throw new IllegalArgumentException("maxRecords < 1: " + maxRecords);
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes < 1: " + maxBytes);
    }
    Objects.requireNonNull(lowestPriority, "lowestPriority");
    excludedLanes = excludedLanes == null ? Set.of() : Set.copyOf(excludedLanes);
    Objects.requireNonNull(leaseTimeout, "leaseTimeout");
    if (leaseTimeout.isNegative() || leaseTimeout.isZero()) {
      throw new IllegalArgumentException("leaseTimeout <= 0: " + leaseTimeout);
    }
  }

  public static LeaseRequest of(int maxRecords) {
    return new LeaseRequest(maxRecords, Long.MAX_VALUE, Priority.LOW, Set.of(), Duration.ofSeconds(60));
  }
}
