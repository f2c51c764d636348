package dev.outpost.core.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One replicated document: its state is a join of per-field states, each merged by maximum, so
 * {@link #apply applying} ops and {@link #merge merging} states are commutative, associative and
 * idempotent; any two replicas that have seen the same ops are equal, whatever the order.
 *
 * <ul>
 *   <li><b>Register fields</b> (any JSON value): last writer wins by {@link Hlc}; ties cannot
 *       happen (the node id is part of the order). A removed field is a write of "nothing".
 *   <li><b>Counter fields</b> (PN-counter): each node's running totals of increments and
 *       decrements, merged by maximum; the value is their sum, so no increment is lost to
 *       last-writer-wins.
 *   <li><b>Set fields</b> (add-wins observed-remove set): each element keeps, per node, its latest
 *       addition and the latest addition a removal saw; it is in the set while some node's
 *       addition is newer than what removals (and deletes) saw of that node.
 *   <li><b>Delete</b>: a tombstone with the latest timestamp per node the deleter had seen (and
 *       its counters' totals). Every write the delete saw is gone. A write it had not seen (made
 *       concurrently, or later) brings the document back, with each field whose latest write (by
 *       HLC) is one the delete had not seen: a delete wins over everything it saw, and a
 *       concurrent write resurrects. Precisely: the document exists again when the latest of all
 *       its writes is one the delete had not seen; a field shows when its latest write is one;
 *       a concurrent write older than a write the delete saw stays gone with it, on every replica.
 * </ul>
 *
 * <p>A replica's {@link HlcClock} must {@link HlcClock#receive receive} every timestamp it merges
 * in (a pulled document's {@link #seen()}), so that its next write is stamped after everything it
 * has seen: last-writer-wins then means "the write made knowing the other", as it should.
 *
 * <p>The document exists while its existence marker (a register every write sets) is not erased
 * by a delete. State stays bounded: one entry per field, per node that wrote it, per set element;
 * no op log. Not thread-safe: a replica guards its documents.
 */
public final class Document {
  /** The register every write sets: the document exists while it is not erased. */
  private static final String EXISTS = "";
  /** Longest field name, in chars. */
  public static final int MAX_FIELD_CHARS = 256;

  /** A node's running totals of a counter field: increments and decrements. */
  public record Totals(long positive, long negative) {
    public static final Totals ZERO = new Totals(0, 0);

    public Totals {
      if (positive < 0 || negative < 0) {
        throw new IllegalArgumentException("counter totals < 0: " + positive + ", " + negative);
      }
    }

    Totals max(Totals o) {
      return o == null ? this : new Totals(Math.max(positive, o.positive), Math.max(negative, o.negative));
    }
  }

  /** A register's latest write: the value (null: removed) and when. Package-private for {@link SyncJson}. */
  record Write(Hlc hlc, JsonNode value) {}

  /** One set element: latest addition and latest seen-by-a-removal, by node. */
  static final class Element {
    final JsonNode value;
    final TreeMap<String, Hlc> added = new TreeMap<>();
    final TreeMap<String, Hlc> removed = new TreeMap<>();

    Element(JsonNode value) {
      this.value = value;
    }
  }

  private final String collection;
  private final String id;
  final TreeMap<String, Write> registers = new TreeMap<>();
  final TreeMap<String, TreeMap<String, Totals>> counters = new TreeMap<>();
  final TreeMap<String, TreeMap<String, Element>> sets = new TreeMap<>();
  /** What the document has seen: the latest timestamp applied, per node (a version vector). */
  final TreeMap<String, Hlc> seen = new TreeMap<>();
  /** What deletes saw, merged: latest timestamp per node, and counter totals per field and node. */
  final TreeMap<String, Hlc> deletedSeen = new TreeMap<>();
  final TreeMap<String, TreeMap<String, Totals>> deletedTotals = new TreeMap<>();
  Hlc deletedAt;
  /** {@link #viewJson()} until the next change (the server writes it and checks its size: once each). */
  private String viewJson;
  private boolean viewJsonKnown;
  /**
   * At least the UTF-8 size of {@link #viewJson()} while the document exists; -1 when not known.
   * Lets the server's size check skip serializing the view for an op that cannot reach the limit.
   */
  private int viewBytesAtMost = -1;

  public Document(String collection, String id) {
    this.collection = Objects.requireNonNull(collection, "collection");
    this.id = Objects.requireNonNull(id, "id");
  }

  public String collection() {
    return collection;
  }

  public String id() {
    return id;
  }

  // ---- making ops (from this replica's state) -------------------------------------------------

  /** A patch of register fields (value null: remove the field) stamped {@code hlc}; not applied. */
  public Op.Patch patch(Hlc hlc, Map<String, JsonNode> fields) {
    Map<String, Hlc> base = new HashMap<>();
    for (String f : fields.keySet()) {
      Write w = registers.get(f);
      if (w != null && !erased(w.hlc)) {
        base.put(f, w.hlc);
      }
    }
    return new Op.Patch(collection, id, hlc, fields, base);
  }

  /** An increment of a counter field by {@code delta} (may be negative); not applied. */
  public Op.Increment increment(Hlc hlc, String field, long delta) {
    Totals mine = counters.getOrDefault(field, new TreeMap<>()).getOrDefault(hlc.node(), Totals.ZERO);
    long positive = delta > 0 ? Math.addExact(mine.positive(), delta) : mine.positive();
    long negative = delta < 0 ? Math.addExact(mine.negative(), Math.negateExact(delta)) : mine.negative();
    return new Op.Increment(collection, id, hlc, field, delta, positive, negative);
  }

  /** Elements added to and removed from a set field; a removal carries the additions seen here. */
  public Op.SetChange changeSet(Hlc hlc, String field, List<JsonNode> add, List<JsonNode> remove) {
    List<Op.Removal> removals = new ArrayList<>();
    TreeMap<String, Element> elements = sets.getOrDefault(field, new TreeMap<>());
    for (JsonNode r : remove) {
      Element e = elements.get(Json.canonical(r));
      removals.add(new Op.Removal(r, e == null ? Map.of() : e.added));
    }
    return new Op.SetChange(collection, id, hlc, field, add, removals);
  }

  /** A delete of this document that erases everything this replica has seen of it. */
  public Op.Delete delete(Hlc hlc) {
    Map<String, Hlc> saw = new TreeMap<>(seen);
    saw.merge(hlc.node(), hlc, Hlc::max);
    Map<String, Map<String, Totals>> base = new TreeMap<>();
    counters.forEach((field, byNode) -> base.put(field, Map.copyOf(byNode)));
    return new Op.Delete(collection, id, hlc, saw, base);
  }

  // ---- applying ---------------------------------------------------------------------------------

  /** Applies an op of this document; applying it again, or in another order, changes nothing more. */
  public Document apply(Op op) {
    if (!op.collection().equals(collection) || !op.id().equals(id)) {
      throw new IllegalArgumentException("op for " + op.collection() + "/" + op.id() + " applied to " + collection + "/" + id);
    }
    viewJsonKnown = false;
    viewBytesAtMost = -1;
    Hlc hlc = op.hlc();
    switch (op) {
      case Op.Patch p -> {
        p.fields().forEach((f, v) -> write(f, new Write(hlc, v)));
        write(EXISTS, new Write(hlc, BooleanNode.TRUE));
      }
      case Op.Increment i -> {
        counters.computeIfAbsent(i.field(), f -> new TreeMap<>())
            .merge(hlc.node(), new Totals(i.positive(), i.negative()), Totals::max);
        write(EXISTS, new Write(hlc, BooleanNode.TRUE));
      }
      case Op.SetChange s -> {
        TreeMap<String, Element> elements = sets.computeIfAbsent(s.field(), f -> new TreeMap<>());
        for (JsonNode a : s.add()) {
          element(elements, a).added.merge(hlc.node(), hlc, Hlc::max);
        }
        for (Op.Removal r : s.remove()) {
          TreeMap<String, Hlc> removed = element(elements, r.element()).removed;
          r.seen().forEach((node, at) -> removed.merge(node, at, Hlc::max));
        }
        write(EXISTS, new Write(hlc, BooleanNode.TRUE));
      }
      case Op.Delete d -> {
        deletedAt = Hlc.max(deletedAt, hlc);
        d.seen().forEach((node, at) -> deletedSeen.merge(node, at, Hlc::max));
        d.counterBase().forEach((field, byNode) -> {
          TreeMap<String, Totals> base = deletedTotals.computeIfAbsent(field, f -> new TreeMap<>());
          byNode.forEach((node, totals) -> base.merge(node, totals, Totals::max));
        });
      }
    }
    seen.merge(hlc.node(), hlc, Hlc::max);
    return this;
  }

  /** Merges another replica's state of this document into this one (the same as applying its ops). */
  public Document merge(Document other) {
    if (!other.collection.equals(collection) || !other.id.equals(id)) {
      throw new IllegalArgumentException("cannot merge " + other.collection + "/" + other.id + " into " + collection + "/" + id);
    }
    viewJsonKnown = false;
    viewBytesAtMost = -1;
    other.registers.forEach(this::write);
    other.counters.forEach((field, byNode) -> {
      TreeMap<String, Totals> mine = counters.computeIfAbsent(field, f -> new TreeMap<>());
      byNode.forEach((node, t) -> mine.merge(node, t, Totals::max));
    });
    other.sets.forEach((field, elements) -> {
      TreeMap<String, Element> mine = sets.computeIfAbsent(field, f -> new TreeMap<>());
      elements.forEach((key, e) -> {
        Element m = mine.computeIfAbsent(key, k -> new Element(e.value));
        e.added.forEach((node, at) -> m.added.merge(node, at, Hlc::max));
        e.removed.forEach((node, at) -> m.removed.merge(node, at, Hlc::max));
      });
    });
    other.seen.forEach((node, at) -> seen.merge(node, at, Hlc::max));
    deletedAt = Hlc.max(deletedAt, other.deletedAt);
    other.deletedSeen.forEach((node, at) -> deletedSeen.merge(node, at, Hlc::max));
    other.deletedTotals.forEach((field, byNode) -> {
      TreeMap<String, Totals> mine = deletedTotals.computeIfAbsent(field, f -> new TreeMap<>());
      byNode.forEach((node, t) -> mine.merge(node, t, Totals::max));
    });
    return this;
  }

  /** Makes this state exactly {@code snapshot}'s again (an earlier {@link #copy()} of it). */
  void restore(Document snapshot) {
    registers.clear();
    counters.clear();
    sets.clear();
    seen.clear();
    deletedSeen.clear();
    deletedTotals.clear();
    deletedAt = null;
    merge(snapshot);
  }

  /**
   * Tells the document that its view, as it is now, takes at most {@code utf8Bytes} (the length of
   * a stored view it was read with); forgotten at the next change. Only a hint for size checks: a
   * document that does not exist now ignores it.
   */
  public void viewBytesAtMost(int utf8Bytes) {
    viewBytesAtMost = utf8Bytes >= 0 && exists() ? utf8Bytes : -1;
  }

  /** What {@link #viewBytesAtMost(int)} said and no change since has made unknown; -1 when unknown. */
  int viewBytesAtMost() {
    return viewBytesAtMost;
  }

  /** An independent copy of this state. */
  public Document copy() {
    return new Document(collection, id).merge(this);
  }

  private void write(String field, Write w) {
    registers.merge(field, w, (a, b) -> a.hlc.compareTo(b.hlc) >= 0 ? a : b);
  }

  static Element element(TreeMap<String, Element> elements, JsonNode value) {
    return elements.computeIfAbsent(Json.canonical(value), k -> new Element(value));
  }

  // ---- reading ----------------------------------------------------------------------------------

  /** Whether a write at {@code hlc} was seen by a delete, and so is gone. */
  private boolean erased(Hlc hlc) {
    Hlc saw = deletedSeen.get(hlc.node());
    return saw != null && saw.compareTo(hlc) >= 0;
  }

  /** True while the document exists: written, and not deleted by a delete that saw every write since. */
  public boolean exists() {
    Write w = registers.get(EXISTS);
    return w != null && !erased(w.hlc);
  }

  /** True if a delete ever reached this document (it may have been written again since). */
  public boolean hasTombstone() {
    return deletedAt != null;
  }

  /** The latest delete, or null. */
  public Hlc deletedAt() {
    return deletedAt;
  }

  /** The latest timestamp this document has seen, per node. */
  public Map<String, Hlc> seen() {
    return Collections.unmodifiableMap(seen);
  }

  /** The latest timestamp of any write or delete applied, or null for a document never written. */
  public Hlc version() {
    Hlc v = null;
    for (Hlc h : seen.values()) {
      v = Hlc.max(v, h);
    }
    return v;
  }

  /** A register field's value (null if absent, removed or erased) and the time of its write. */
  public JsonNode register(String field) {
    Write w = registers.get(field);
    return w == null || w.value == null || erased(w.hlc) ? null : w.value;
  }

  /** When a register field was last written (null if never, or erased by a delete). */
  public Hlc registerHlc(String field) {
    Write w = registers.get(field);
    return w == null || erased(w.hlc) ? null : w.hlc;
  }

  /** A counter field's value: the sum of every node's increments minus decrements, after deletes. */
  public long counter(String field) {
    TreeMap<String, Totals> byNode = counters.get(field);
    if (byNode == null) {
      return 0;
    }
    TreeMap<String, Totals> base = deletedTotals.getOrDefault(field, new TreeMap<>());
    long sum = 0;
    for (Map.Entry<String, Totals> e : byNode.entrySet()) {
      Totals b = base.getOrDefault(e.getKey(), Totals.ZERO);
      sum += Math.max(0, e.getValue().positive() - b.positive()) - Math.max(0, e.getValue().negative() - b.negative());
    }
    return sum;
  }

  /** This node's own totals of a counter field (for making its next increment). */
  public Totals totals(String field, String node) {
    return counters.getOrDefault(field, new TreeMap<>()).getOrDefault(node, Totals.ZERO);
  }

  /** A set field's elements, in canonical JSON order. */
  public List<JsonNode> set(String field) {
    List<JsonNode> out = new ArrayList<>();
    for (Element e : sets.getOrDefault(field, new TreeMap<>()).values()) {
      if (present(e)) {
        out.add(e.value);
      }
    }
    return out;
  }

  private boolean present(Element e) {
    for (Map.Entry<String, Hlc> a : e.added.entrySet()) {
      Hlc removed = Hlc.max(e.removed.get(a.getKey()), deletedSeen.get(a.getKey()));
      if (removed == null || a.getValue().isAfter(removed)) {
        return true;
      }
    }
    return false;
  }

  /**
   * What a reader sees: the fields as one JSON object (registers as written, counters as numbers,
   * sets as arrays in canonical order), or null while the document does not exist.
   */
  public ObjectNode view() {
    if (!exists()) {
      return null;
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    TreeMap<String, JsonNode> fields = new TreeMap<>();
    registers.forEach((f, w) -> {
      if (!f.equals(EXISTS) && w.value != null && !erased(w.hlc)) {
        fields.put(f, w.value);
      }
    });
    for (String f : counters.keySet()) {
      if (counterVisible(f)) {
        fields.put(f, JsonNodeFactory.instance.numberNode(counter(f)));
      }
    }
    for (String f : sets.keySet()) {
      List<JsonNode> elements = set(f);
      if (!elements.isEmpty()) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        elements.forEach(a::add);
        fields.put(f, a);
      }
    }
    fields.forEach(out::set);
    return out;
  }

  /** {@link #view()} as JSON text, or null while the document does not exist; kept until the next change. */
  public String viewJson() {
    if (!viewJsonKnown) {
      ObjectNode v = view();
      viewJson = v == null ? null : v.toString();
      viewJsonKnown = true;
    }
    return viewJson;
  }

  /** A counter shows once some node changed it since the last delete that saw its totals. */
  private boolean counterVisible(String field) {
    TreeMap<String, Totals> base = deletedTotals.getOrDefault(field, new TreeMap<>());
    for (Map.Entry<String, Totals> e : counters.get(field).entrySet()) {
      Totals b = base.getOrDefault(e.getKey(), Totals.ZERO);
      if (e.getValue().positive() > b.positive() || e.getValue().negative() > b.negative()) {
        return true;
      }
    }
    return false;
  }

  // ---- identity -----------------------------------------------------------------------------------

  /** The whole state as canonical text: equal for two replicas that have seen the same ops. */
  public String state() {
    StringBuilder b = new StringBuilder(collection).append('/').append(id).append('\n');
    registers.forEach((f, w) -> b.append("r ").append(f).append('=').append(w.value == null ? "-" : Json.canonical(w.value))
        .append(" @").append(w.hlc).append('\n'));
    counters.forEach((f, byNode) -> byNode.forEach((node, t) -> b.append("c ").append(f).append(' ').append(node)
        .append(' ').append(t.positive()).append('/').append(t.negative()).append('\n')));
    sets.forEach((f, elements) -> elements.forEach((k, e) -> b.append("s ").append(f).append(' ').append(k)
        .append(" +").append(e.added).append(" -").append(e.removed).append('\n')));
    b.append("seen ").append(seen).append('\n');
    b.append("deleted ").append(deletedAt).append(' ').append(deletedSeen).append(' ').append(deletedTotals).append('\n');
    return b.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Document d && state().equals(d.state());
  }

  @Override
  public int hashCode() {
    return state().hashCode();
  }

  @Override
  public String toString() {
    return collection + "/" + id + (exists() ? " " + view() : " (deleted or absent)");
  }

  // ---- checks shared with Op ------------------------------------------------------------------------

  static String checkField(String field) {
    if (field == null || field.isEmpty() || field.length() > MAX_FIELD_CHARS) {
      throw new IllegalArgumentException("field name must be 1 to " + MAX_FIELD_CHARS + " chars, was "
          + (field == null ? "null" : "\"" + field + "\""));
    }
    return field;
  }

  static Map<String, JsonNode> copyFields(Map<String, JsonNode> fields) {
    TreeMap<String, JsonNode> copy = new TreeMap<>();
    fields.forEach((f, v) -> copy.put(checkField(f), v == null || v.isNull() || v.isMissingNode() ? null : v.deepCopy()));
    return Collections.unmodifiableMap(copy);
  }
}
