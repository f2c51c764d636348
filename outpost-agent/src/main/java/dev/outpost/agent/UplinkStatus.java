package dev.outpost.agent;

import java.time.Instant;

/**
 * What the agent's uplink (the sync engine) reports for {@code GET /v1/status}: immutable.
 *
 * @param linkState ONLINE, DEGRADED, TRANSITIONING, OFFLINE, or STOPPED when no sync engine runs
 * @param lastSyncAt when the server last answered a batch, or null if never (since start)
 * @param lastError the last uplink failure in words, or null
 * @param lastErrorAt when it happened, or null
 * @param authProblem true while the server refuses the token (401/403): the uplink is paused
 * @param delivered records the server answered stored or duplicate since start
 */
public record UplinkStatus(
    String linkState,
    Instant lastSyncAt,
    String lastError,
    Instant lastErrorAt,
    boolean authProblem,
    long delivered) {

  /** No sync engine is running (operator commands, tests of the local API alone). */
  public static UplinkStatus stopped() {
    return new UplinkStatus("STOPPED", null, null, null, false, 0);
  }
}
