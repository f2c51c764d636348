package dev.outpost.edge;

/**
 * A replica write or read the rules refuse before anything is written: the collection is unknown
 * ({@link Reason#UNKNOWN_COLLECTION}), or devices may not write it ({@link Reason#READ_ONLY}). The
 * message names the collection and the rule. Other refusals (a field against its kind, a size
 * limit) are plain {@link IllegalArgumentException}s.
 */
public final class ReplicaRefusedException extends IllegalArgumentException {
  /** Why. */
  public enum Reason { UNKNOWN_COLLECTION, READ_ONLY }

  private final Reason reason;

  public ReplicaRefusedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
