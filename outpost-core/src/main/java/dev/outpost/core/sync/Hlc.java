package dev.outpost.core.sync;

import java.util.Objects;

/**
 * A hybrid logical clock timestamp: physical milliseconds, a logical counter for events within
 * one millisecond (or while the physical clock lags), and the node that made it. Totally ordered
 * by (wall, logical, node), so two writes never tie and every replica picks the same winner.
 * Text form {@code <wall>.<logical>@<node>}, e.g. {@code 1764748800000.3@gw-1.3f2a}. Immutable.
 *
 * @param wallMillis milliseconds since the epoch, the larger of the node's clock and any
 *     timestamp it received
 * @param logical orders events with the same wall time
 * @param node the replica that issued it: unique per store (a wiped device is a new node)
 */
public record Hlc(long wallMillis, int logical, String node) implements Comparable<Hlc> {
  /** Longest node id, in chars. */
  public static final int MAX_NODE_CHARS = 128;

  public Hlc {
    if (wallMillis < 0) {
      throw new IllegalArgumentException("HLC wall time < 0: " + wallMillis);
    }
    if (logical < 0) {
      throw new IllegalArgumentException("HLC logical counter < 0: " + logical);
    }
    checkNode(node);
  }

  static String checkNode(String node) {
    Objects.requireNonNull(node, "node");
    if (node.isEmpty() || node.length() > MAX_NODE_CHARS) {
      throw new IllegalArgumentException("HLC node id must be 1 to " + MAX_NODE_CHARS + " chars, was \"" + node + "\"");
    }
    for (int i = 0; i < node.length(); i++) {
      char c = node.charAt(i);
      if (c < 0x21 || c > 0x7e || c == '@') {
        throw new IllegalArgumentException("HLC node id may hold printable ASCII but no '@' or spaces, was \"" + node + "\"");
      }
    }
    return node;
  }

  @Override
  public int compareTo(Hlc o) {
    int c = Long.compare(wallMillis, o.wallMillis);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(logical, o.logical);
    return c != 0 ? c : node.compareTo(o.node);
  }

  public boolean isAfter(Hlc o) {
    return compareTo(o) > 0;
  }

  /** The later of two timestamps; null counts as earlier than any. */
  public static Hlc max(Hlc a, Hlc b) {
    if (a == null) {
      return b;
    }
    return b == null || a.compareTo(b) >= 0 ? a : b;
  }

  @Override
  public String toString() {
    return wallMillis + "." + logical + "@" + node;
  }

  /** Parses the text form; a malformed one is an {@link IllegalArgumentException} naming it. */
  public static Hlc parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("HLC is missing");
    }
    int dot = text.indexOf('.');
    int at = text.indexOf('@');
    if (dot <= 0 || at <= dot + 1 || at == text.length() - 1) {
      throw new IllegalArgumentException("malformed HLC \"" + shorten(text) + "\": expected <wall>.<logical>@<node>");
    }
    try {
      return new Hlc(Long.parseLong(text.substring(0, dot)), Integer.parseInt(text.substring(dot + 1, at)),
          text.substring(at + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("malformed HLC \"" + shorten(text) + "\": " + e.getMessage());
    }
  }

  private static String shorten(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
