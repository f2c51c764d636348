package dev.outpost.edge;

/**
 * A record's payload is over the outbox's {@code maxPayloadBytes}: nothing was written. An
 * {@link IllegalArgumentException} like every other bad-record refusal, but its own type so that
 * callers can answer it differently (the agent's local API says 413, not 400) without reading the
 * message.
 */
public final class RecordTooLargeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public RecordTooLargeException(String message) {
    super(message);
  }
}
