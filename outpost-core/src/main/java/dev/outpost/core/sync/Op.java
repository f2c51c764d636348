package dev.outpost.core.sync;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A change to one replicated document: what travels between replicas. Applying ops to a
 * {@link Document} is commutative, associative and idempotent: the same ops in any order, with any
 * duplicates, give the same document. So every op carries state, not a step: an increment carries
 * its node's running totals, a removal the additions it saw, a delete the versions it saw.
 * Make them with a replica's {@link Document} ({@link Document#patch}, {@link Document#increment},
 * {@link Document#changeSet}, {@link Document#delete}), which fills that state in.
 */
public sealed interface Op permits Op.Patch, Op.Increment, Op.SetChange, Op.Delete {

  String collection();

  String id();

  /** When and where the op was made; the last writer of a register field wins by it. */
  Hlc hlc();

  /**
   * Register fields set (a JSON value) or removed (Java null or JSON null, as in a JSON merge
   * patch), last writer wins per field.
   *
   * @param base per field, the timestamp of the value the writer saw when it wrote (absent: none):
   *     how a server with the {@code manual} strategy tells a concurrent write from an update
   */
  record Patch(String collection, String id, Hlc hlc, Map<String, JsonNode> fields, Map<String, Hlc> base)
      implements Op {
    public Patch {
      check(collection, id, hlc);
      fields = Document.copyFields(fields);
      base = Map.copyOf(base);
    }
  }

  /**
   * A counter field changed by {@code delta}; {@code positive} and {@code negative} are the
   * writing node's running totals of increments and decrements of this field after it (a
   * PN-counter's state for that node: merged by maximum, so a duplicate changes nothing).
   */
  record Increment(String collection, String id, Hlc hlc, String field, long delta, long positive, long negative)
      implements Op {
    public Increment {
      check(collection, id, hlc);
      Document.checkField(field);
      if (positive < 0 || negative < 0) {
        throw new IllegalArgumentException("counter totals < 0 for " + field);
      }
    }
  }

  /**
   * A set field: elements added (tagged with this op's node and time), elements removed with the
   * additions the writer had seen of each (an addition it had not seen survives: add wins).
   */
  record SetChange(String collection, String id, Hlc hlc, String field, List<JsonNode> add, List<Removal> remove)
      implements Op {
    public SetChange {
      check(collection, id, hlc);
      Document.checkField(field);
      add = List.copyOf(add);
      remove = List.copyOf(remove);
    }
  }

  /** One element removed from a set, with the additions of it the writer had seen, by node. */
  record Removal(JsonNode element, Map<String, Hlc> seen) {
    public Removal {
      Objects.requireNonNull(element, "element");
      seen = Map.copyOf(seen);
    }
  }

  /**
   * The document deleted: every write it had seen ({@code seen}: the latest timestamp per node,
   * counters by their totals per node in {@code counterBase}) is gone; a write it had not seen
   * brings the document back with what that write set.
   */
  record Delete(String collection, String id, Hlc hlc, Map<String, Hlc> seen,
      Map<String, Map<String, Document.Totals>> counterBase) implements Op {
    public Delete {
      check(collection, id, hlc);
      seen = Map.copyOf(seen);
      counterBase = Map.copyOf(counterBase);
    }
  }

  private static void check(String collection, String id, Hlc hlc) {
    Objects.requireNonNull(collection, "collection");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(hlc, "hlc");
  }
}
