package dev.outpost.server.internal;

/**
 * A write that had to come after another one was not stored because that one was not: nothing
 * of it was written. The ingest answer is 409 {@code predecessor_not_stored}.
 */
public final class PredecessorNotStoredException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PredecessorNotStoredException() {
    super("the write it had to follow was not stored", null, false, false);
  }
}
