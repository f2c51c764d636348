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
 * @param excludedLanes lanes not to lease from (the sync engine passes lanes already in flight
 *     so per-lane order holds on the server)
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
