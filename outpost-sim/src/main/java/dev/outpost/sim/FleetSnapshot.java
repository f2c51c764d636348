package dev.outpost.sim;

import java.time.Duration;
import java.util.Locale;

/**
 * The fleet at one moment, for the live view. Immutable.
 *
 * @param elapsed time since the fleet started
 * @param online devices whose link is ONLINE
 * @param degraded devices whose link is DEGRADED or TRANSITIONING (sending only HIGH and CRITICAL)
 * @param offline devices whose link is OFFLINE
 * @param backlog records waiting in the outboxes (pending plus in flight)
 * @param alertBacklog of those, pending HIGH and CRITICAL records
 * @param delivered records the server acknowledged since start (stored or duplicate answers)
 * @param deadLetters records in the outboxes' dead-letter tables
 */
public record FleetSnapshot(
    Duration elapsed,
    int online,
    int degraded,
    int offline,
    long backlog,
    long alertBacklog,
    long delivered,
    long deadLetters) {

  /**
   * One line of the live view, e.g. {@code t=12s  online 14  degraded 3  offline 3  backlog 1,204
   * (alerts 12)  delivered/s 310  dead letters 0}; {@code deliveredPerSecond} comes from the
   * previous snapshot. Plain text, no terminal control characters.
   */
  public String line(String phase, long deliveredPerSecond) {
    return String.format(Locale.ROOT,
        "t=%ds %s online %d  degraded %d  offline %d  backlog %,d (alerts %,d)  delivered/s %,d  dead letters %,d",
        elapsed.toSeconds(), phase.isEmpty() ? "" : " " + phase + " ", online, degraded, offline,
        backlog, alertBacklog, deliveredPerSecond, deadLetters);
  }
}
