package dev.outpost.edge.sync;

import java.time.Duration;
import java.util.Objects;

/** Checks of the config builders in this package: each names the setting it refuses. */
final class Durations {
  private Durations() {}

  static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " <= 0: " + d);
    }
    return d;
  }

  static Duration nonNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " < 0: " + d);
    }
    return d;
  }

  static int atLeast(int n, int min, String name) {
    if (n < min) {
      throw new IllegalArgumentException(name + " < " + min + ": " + n);
    }
    return n;
  }
}
