package dev.outpost.core;

import java.util.Locale;

/**
 * How urgent a record is. Higher priorities drain first; CRITICAL and HIGH are never evicted.
 *
 * <p>{@link #rank()} is the stored and wire value: 0 is the most urgent, so an ascending sort
 * by rank is drain order.
 */
public enum Priority {
  CRITICAL,
  HIGH,
  NORMAL,
  LOW;

  private static final Priority[] BY_RANK = values();

  /** 0 for CRITICAL … 3 for LOW. */
  public int rank() {
    return ordinal();
  }

  public static Priority ofRank(int rank) {
    if (rank < 0 || rank >= BY_RANK.length) {
      throw new IllegalArgumentException("unknown priority rank " + rank + " (allowed 0..3)");
    }
    return BY_RANK[rank];
  }

  /** Parses a name case-insensitively; the message lists the allowed names. */
  public static Priority parse(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("priority is missing (allowed: CRITICAL, HIGH, NORMAL, LOW)");
    }
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown priority '" + name + "' (allowed: CRITICAL, HIGH, NORMAL, LOW)");
    }
  }
}
