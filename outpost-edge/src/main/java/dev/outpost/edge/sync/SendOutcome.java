package dev.outpost.edge.sync;

import dev.outpost.core.BatchResult;
import java.time.Duration;
import java.util.Objects;

/** What became of one request: the server's per-record answer, or a classified failure. */
public sealed interface SendOutcome {

  /** How long the request took, from sending to the full answer (or the failure). */
  Duration latency();

  /** The server answered with one result per record (some may be missing: release those). */
  record Answered(BatchResult result, Duration latency) implements SendOutcome {
    public Answered {
      Objects.requireNonNull(result, "result");
      Objects.requireNonNull(latency, "latency");
    }
  }

  /**
   * No per-record answer.
   *
   * @param kind what to do about it
   * @param status the HTTP status, or 0 when there was no HTTP answer
   * @param message the server's error message or the network error, for status and logs
   * @param retryAfter the server's Retry-After, or null
   */
  record Failed(ErrorKind kind, int status, String message, Duration retryAfter, Duration latency)
      implements SendOutcome {
    public Failed {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(latency, "latency");
    }
  }
}
