package dev.outpost.agent;

import java.util.Collection;
import java.util.Locale;

/** Finds the known key nearest to a misspelt one, for "did you mean" hints. Stateless. */
final class KeyNames {
  private KeyNames() {}

  /**
   * A candidate that ends with the wrong name or starts with it (a missing section or
   * suffix: {@code budget-bytes} or {@code outbox.budget} for {@code outbox.budget-bytes}), else the one within edit distance 3 (of
   * the whole name or, plus one, of its prefix), else null.
   */
  static String nearest(String wrong, Collection<String> candidates) {
    String w = wrong.toLowerCase(Locale.ROOT);
    String bare = w.startsWith("outpost_") ? w.substring("outpost_".length()) : w;
    for (String c : candidates) {
      String lc = c.toLowerCase(Locale.ROOT);
      if (lc.endsWith("." + bare) || lc.endsWith("_" + bare) || lc.startsWith(w + "-")
          || lc.startsWith(w + "_")) {
        return c;
      }
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      String lc = c.toLowerCase(Locale.ROOT);
      int d = distance(w, lc);
      if (w.length() >= 6 && lc.length() > w.length()) {
        d = Math.min(d, distance(w, lc.substring(0, w.length())) + 1); // a misspelt prefix
      }
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    return bestDistance <= 3 ? best : null;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
