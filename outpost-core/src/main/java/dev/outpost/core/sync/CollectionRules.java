package dev.outpost.core.sync;

import java.util.Objects;
import java.util.Set;

/**
 * How one collection merges and who may write it: the conflict strategy for register fields, which
 * fields are counters and sets (every other field is a register), whether devices may write, and
 * a size limit per document. The server's collections configuration makes these; a device gets
 * the same rules so that it refuses locally what the server would refuse. Immutable.
 *
 * @param maxDocBytes the largest a document's JSON view may grow to; 0 for no limit
 */
public record CollectionRules(String name, Conflict conflict, Set<String> counters, Set<String> sets, Access devices,
    int maxDocBytes) {

  /** What happens when two writers change one register field without seeing each other's write. */
  public enum Conflict {
    /** The later write by HLC wins, per field (the default). */
    LWW,
    /** The back office's value stays; a device's concurrent write to it is overwritten. */
    SERVER_WINS,
    /** Neither wins silently: the current value stays and a conflict is recorded for a person. */
    MANUAL
  }

  /** Whether devices may write the collection. */
  public enum Access {
    READ,
    READ_WRITE
  }

  public CollectionRules {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(conflict, "conflict");
    Objects.requireNonNull(devices, "devices");
    counters = Set.copyOf(counters);
    sets = Set.copyOf(sets);
    for (String c : counters) {
      Document.checkField(c);
      if (sets.contains(c)) {
        throw new IllegalArgumentException("collection " + name + ": field " + c + " is both a counter and a set");
      }
    }
    sets.forEach(Document::checkField);
    if (maxDocBytes < 0) {
      throw new IllegalArgumentException("collection " + name + ": max_doc_bytes < 0: " + maxDocBytes);
    }
  }

  /** Last-writer-wins registers only, devices may write, no size limit. */
  public static CollectionRules lww(String name) {
    return new CollectionRules(name, Conflict.LWW, Set.of(), Set.of(), Access.READ_WRITE, 0);
  }

  /**
   * Checks an op against these rules: field kinds, and counters and sets used as such. Throws an
   * {@link IllegalArgumentException} naming the field and the rule; nothing is applied then.
   */
  public void check(Op op) {
    if (!op.collection().equals(name)) {
      throw new IllegalArgumentException("op for collection " + op.collection() + " checked against " + name);
    }
    switch (op) {
      case Op.Patch p -> p.fields().keySet().forEach(f -> {
        if (counters.contains(f)) {
          throw new IllegalArgumentException(name + "." + f + " is a counter: change it with an increment ($inc), not a value");
        }
        if (sets.contains(f)) {
          throw new IllegalArgumentException(name + "." + f + " is a set: change it with $add/$remove, not a value");
        }
      });
      case Op.Increment i -> {
        if (!counters.contains(i.field())) {
          throw new IllegalArgumentException(name + "." + i.field() + " is not a counter field of the collection"
              + " (counters: " + counters + ")");
        }
      }
      case Op.SetChange s -> {
        if (!sets.contains(s.field())) {
          throw new IllegalArgumentException(name + "." + s.field() + " is not a set field of the collection"
              + " (sets: " + sets + ")");
        }
      }
      case Op.Delete d -> { }
    }
  }

  /**
   * Checks a document's size after a change; throws naming the limit. The size is that of its
   * JSON view (what a reader gets).
   */
  public void checkSize(String id, Document doc) {
    String view = maxDocBytes > 0 ? doc.viewJson() : null;
    if (view != null) {
      int bytes = utf8Length(view);
      if (bytes > maxDocBytes) {
        throw new IllegalArgumentException(name + "/" + id + " would be " + bytes + " bytes, over the collection's"
            + " max_doc_bytes of " + maxDocBytes);
      }
      doc.viewBytesAtMost(bytes);
    }
  }

  /** The UTF-8 size of {@code s} as {@link String#getBytes} would encode it, without encoding it. */
  static int utf8Length(String s) {
    int n = s.length();
    int bytes = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += Character.isSurrogate(c) ? 1 : 3; // an unpaired surrogate is encoded as '?'
      }
    }
    return bytes;
  }


}
