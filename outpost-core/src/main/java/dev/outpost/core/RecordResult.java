package dev.outpost.core;

import java.util.Objects;

/**
 * The server's answer for one record of a batch. {@code STORED} and {@code DUPLICATE} are only
 * sent after the server's store has durably committed the record; {@code REJECTED} carries a
 * reason and means "never send this again" (the edge dead-letters it).
 */
public record RecordResult(long seq, Status status, String reason) {
  public enum Status {
    STORED,
    DUPLICATE,
    REJECTED;

    /** The lower-case wire name. */
    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public RecordResult {
    Objects.requireNonNull(status, "status");
    if (status == Status.REJECTED && (reason == null || reason.isBlank())) {
      throw new IllegalArgumentException("a rejected record needs a reason");
    }
  }

  public static RecordResult stored(long seq) {
    return new RecordResult(seq, Status.STORED, null);
  }

  public static RecordResult duplicate(long seq) {
    return new RecordResult(seq, Status.DUPLICATE, null);
  }

  public static RecordResult rejected(long seq, String reason) {
    return new RecordResult(seq, Status.REJECTED, reason);
  }

  /** True when the server holds the record durably (stored now or before). */
  public boolean delivered() {
    return status != Status.REJECTED;
  }
}
