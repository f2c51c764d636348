package dev.outpost.core.wire;

import java.util.Arrays;
import java.util.Random;

/** Seeded corruption of a good body for the codecs' fuzz tests. */
final class Mutations {
  private Mutations() {}

  /** 1-4 random bytes overwritten, and one time in four truncated at a random length. */
  static byte[] mutate(Random rnd, byte[] good) {
    byte[] bad = good.clone();
    int flips = 1 + rnd.nextInt(4);
    for (int f = 0; f < flips; f++) {
      bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
    }
    if (rnd.nextInt(4) == 0) {
      bad = Arrays.copyOf(bad, rnd.nextInt(bad.length));
    }
    return bad;
  }
}
