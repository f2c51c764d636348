package dev.outpost.core;

/**
 * How the uplink is, as judged by {@link LinkStateMachine} from request outcomes and heartbeats.
 *
 * <ul>
 *   <li>{@link #ONLINE}: requests succeed quickly; drain everything, in large batches.
 *   <li>{@link #DEGRADED}: slow or lossy (high latency, or a share of requests fail); send only
 *       CRITICAL and HIGH, in small batches.
 *   <li>{@link #TRANSITIONING}: several requests in a row failed; a short grace window that
 *       absorbs brief blips before declaring {@link #OFFLINE}. Keep retrying urgent records.
 *   <li>{@link #OFFLINE}: no link; send nothing, only probe with heartbeats.
 * </ul>
 */
public enum LinkState {
  ONLINE,
  DEGRADED,
  TRANSITIONING,
  OFFLINE;

  /** True when the sync engine may send batches in this state. */
  public boolean sends() {
    return this != OFFLINE;
  }

  /** True when records of every priority may be sent (false means CRITICAL and HIGH only). */
  public boolean drainsEverything() {
    return this == ONLINE;
  }

  /** The least urgent priority worth sending in this state. */
  public Priority lowestPriority() {
    return drainsEverything() ? Priority.LOW : Priority.HIGH;
  }
}
