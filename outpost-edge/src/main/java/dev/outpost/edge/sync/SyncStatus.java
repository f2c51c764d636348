package dev.outpost.edge.sync;

import dev.outpost.core.LinkState;
import dev.outpost.core.Priority;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A snapshot of the uplink's connection health, as the engine shows it and reports it to the
 * server ({@code PUT /v1/health}, see {@link #toReport()}).
 *
 * @param link the link state
 * @param pausedBy AUTH or UNSUPPORTED while the uplink is paused for a server-side refusal, else null
 * @param uptime how long the engine has run
 * @param upSince when the link last came up, null while down
 * @param offlineSince when the link went down, null while up
 * @param consecutiveFailures requests in a row without an answer
 * @param lastErrorKind the kind of the last error, null if none yet
 * @param lastError the last error's message, null if none yet
 * @param lastErrorAt when it happened
 * @param lastSuccessfulSync when the server last answered an ingest request
 * @param backlog pending records per priority (not counting in-flight ones)
 * @param inFlightBatches batches sent and not yet answered
 * @param nextAttemptAt when the engine may send again after a failure, null if it may now
 * @param delivered records the server holds (stored or duplicate), since start
 * @param deadLettered records the server rejected (moved to dead letters), since start
 * @param retries requests that got no answer and whose records were released for a retry
 * @param requests HTTP requests made (ingest, heartbeats, health reports)
 * @param wireBytes bytes sent on the wire (compressed bodies plus headers)
 */
public record SyncStatus(
    LinkState link,
    ErrorKind pausedBy,
    Duration uptime,
    Instant upSince,
    Instant offlineSince,
    int consecutiveFailures,
    ErrorKind lastErrorKind,
    String lastError,
    Instant lastErrorAt,
    Instant lastSuccessfulSync,
    Map<Priority, Long> backlog,
    int inFlightBatches,
    Instant nextAttemptAt,
    long delivered,
    long deadLettered,
    long retries,
    long requests,
    long wireBytes) {

  public SyncStatus {
    backlog = Map.copyOf(backlog);
  }

  public boolean paused() {
    return pausedBy != null;
  }

  /** The small JSON object (as a map) sent to the server; stays far below 16 KiB. */
  public Map<String, Object> toReport() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("link", link.name());
    m.put("paused", pausedBy == null ? null : pausedBy.name());
    m.put("uptimeSeconds", uptime.toSeconds());
    m.put("upSince", str(upSince));
    m.put("offlineSince", str(offlineSince));
    m.put("consecutiveFailures", consecutiveFailures);
    m.put("lastErrorKind", lastErrorKind == null ? null : lastErrorKind.name());
    String err = lastError;
    m.put("lastError", err == null || err.length() <= 500 ? err : err.substring(0, 500));
    m.put("lastErrorAt", str(lastErrorAt));
    m.put("lastSuccessfulSync", str(lastSuccessfulSync));
    Map<String, Long> b = new LinkedHashMap<>();
    for (Priority p : Priority.values()) {
      b.put(p.name(), backlog.getOrDefault(p, 0L));
    }
    m.put("backlog", b);
    m.put("delivered", delivered);
    m.put("deadLettered", deadLettered);
    m.put("retries", retries);
    return m;
  }

  private static String str(Instant i) {
    return i == null ? null : i.toString();
  }
}
