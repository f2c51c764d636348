package dev.outpost.edge.internal;

import java.security.SecureRandom;

/**
 * Makes the random epoch a new store is born with.
 *
 * <p>An epoch is a positive number below 2^53: it travels as a JSON number (wire v1, read-back,
 * export), and 2^53 is where JSON readers that use doubles (JavaScript, many dashboards) stop
 * being exact. A consumer that dedupes on (device, epoch, seq) must never see two epochs merge.
 * 53 random bits still make a collision between two stores of one device vanishingly unlikely.
 */
public final class Epochs {
  static final long LIMIT = 1L << 53;

  private static final SecureRandom RANDOM = new SecureRandom();

  private Epochs() {}

  /** A uniformly random epoch in [1, 2^53). */
  public static long newEpoch() {
    long epoch;
    do {
      epoch = RANDOM.nextLong() & (LIMIT - 1);
    } while (epoch == 0);
    return epoch;
  }
}
