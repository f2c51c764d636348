package dev.outpost.core.sync;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * JSON forms of {@link Op ops} (what a device's outbox record carries up) and of {@link Document}
 * states (what the change feed carries down), documented in docs/sync-model.md:
 *
 * <pre>
 * {"op":"patch","collection":"orders","id":"wo-1","hlc":"1764748800000.0@gw-1",
 *  "set":{"status":"done","note":null},"base":{"status":"1764748790000.0@server"}}
 * {"op":"increment","collection":"orders","id":"wo-1","hlc":"…","field":"qty","delta":3,"totals":[5,0]}
 * {"op":"set","collection":"orders","id":"wo-1","hlc":"…","field":"tags","add":["urgent"],
 *  "remove":[{"element":"late","seen":{"gw-1":"…"}}]}
 * {"op":"delete","collection":"orders","id":"wo-1","hlc":"…","seen":{"gw-1":"…"},"counters":{"qty":{"gw-1":[5,0]}}}
 * </pre>
 *
 * <p>Decoding checks everything and bounds what it reads (nesting depth {@value #MAX_DEPTH}, strings
 * of at most 1 MiB): bad input is an {@link IllegalArgumentException} naming the field, never
 * another exception, never half an op. Thread-safe.
 */
public final class SyncJson {
  /** Deepest JSON nesting a value may have. */
  public static final int MAX_DEPTH = 32;
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH + 8)
          .maxStringLength(1 << 20).maxNumberLength(64).build())
      .build());
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private SyncJson() {}

  // ---- ops -----------------------------------------------------------------------------------------

  public static byte[] encode(Op op) {
    ObjectNode o = NODES.objectNode();
    o.put("op", switch (op) {
      case Op.Patch p -> "patch";
      case Op.Increment i -> "increment";
      case Op.SetChange s -> "set";
      case Op.Delete d -> "delete";
    });
    o.put("collection", op.collection()).put("id", op.id()).put("hlc", op.hlc().toString());
    switch (op) {
      case Op.Patch p -> {
        ObjectNode set = o.putObject("set");
        p.fields().forEach((f, v) -> set.set(f, v == null ? NODES.nullNode() : v));
        o.set("base", clocks(p.base()));
      }
      case Op.Increment i -> {
        o.put("field", i.field()).put("delta", i.delta());
        o.putArray("totals").add(i.positive()).add(i.negative());
      }
      case Op.SetChange s -> {
        o.put("field", s.field());
        ArrayNode add = o.putArray("add");
        s.add().forEach(add::add);
        ArrayNode remove = o.putArray("remove");
        for (Op.Removal r : s.remove()) {
          remove.addObject().<ObjectNode>set("element", r.element()).set("seen", clocks(r.seen()));
        }
      }
      case Op.Delete d -> {
        o.set("seen", clocks(d.seen()));
        o.set("counters", counterTotals(d.counterBase()));
      }
    }
    try {
      return JSON.writeValueAsBytes(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write an op as JSON", e); // a tree of our own: cannot happen
    }
  }

  /** Reads an op; anything malformed is an {@link IllegalArgumentException} naming what. */
  public static Op decodeOp(byte[] json) {
    JsonNode o = parse(json, "op");
    String kind = text(o, "op");
    String collection = text(o, "collection");
    String id = text(o, "id");
    Hlc hlc = hlc(o, "hlc");
    return switch (kind) {
      case "patch" -> {
        JsonNode set = object(o, "set");
        Map<String, JsonNode> fields = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = set.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> f = it.next();
          checkDepth(f.getValue(), "set." + f.getKey());
          fields.put(f.getKey(), f.getValue().isNull() ? null : f.getValue());
        }
        yield new Op.Patch(collection, id, hlc, fields, o.has("base") ? readBase(object(o, "base")) : Map.of());
      }
      case "increment" -> {
        JsonNode totals = o.get("totals");
        if (totals == null || !totals.isArray() || totals.size() != 2 || !totals.get(0).canConvertToExactIntegral()
            || !totals.get(1).canConvertToExactIntegral() || !totals.get(0).canConvertToLong() || !totals.get(1).canConvertToLong()) {
          throw new IllegalArgumentException("increment: totals must be [positive, negative] whole numbers");
        }
        yield new Op.Increment(collection, id, hlc, text(o, "field"), whole(o, "delta"), totals.get(0).asLong(),
            totals.get(1).asLong());
      }
      case "set" -> {
        List<JsonNode> add = new ArrayList<>();
        for (JsonNode a : array(o, "add")) {
          checkDepth(a, "add");
          add.add(a);
        }
        List<Op.Removal> remove = new ArrayList<>();
        for (JsonNode r : array(o, "remove")) {
          JsonNode element = r.get("element");
          if (element == null || element.isNull()) {
            throw new IllegalArgumentException("set: every remove needs an element");
          }
          checkDepth(element, "remove.element");
          remove.add(new Op.Removal(element, readClocks(object(r, "seen"), "remove.seen")));
        }
        yield new Op.SetChange(collection, id, hlc, text(o, "field"), add, remove);
      }
      case "delete" -> new Op.Delete(collection, id, hlc, readClocks(object(o, "seen"), "seen"),
          readCounterTotals(object(o, "counters"), "counters"));
      default -> throw new IllegalArgumentException("unknown op \"" + kind + "\" (patch, increment, set, delete)");
    };
  }

  // ---- documents -----------------------------------------------------------------------------------

  /** The whole state of a document (what a replica merges), as JSON. */
  public static ObjectNode encode(Document d) {
    ObjectNode o = NODES.objectNode().put("collection", d.collection()).put("id", d.id());
    ObjectNode registers = o.putObject("registers");
    d.registers.forEach((f, w) -> {
      ObjectNode r = registers.putObject(f).put("at", w.hlc().toString());
      if (w.value() != null) {
        r.set("v", w.value());
      }
    });
    o.set("counters", counterTotals(d.counters));
    ObjectNode sets = o.putObject("sets");
    d.sets.forEach((f, elements) -> {
      ArrayNode a = sets.putArray(f);
      elements.values().forEach(e -> a.addObject().<ObjectNode>set("v", e.value)
          .<ObjectNode>set("added", clocks(e.added)).set("removed", clocks(e.removed)));
    });
    o.set("seen", clocks(d.seen));
    if (d.deletedAt != null) {
      ObjectNode del = o.putObject("deleted").put("at", d.deletedAt.toString());
      del.set("seen", clocks(d.deletedSeen));
      del.set("counters", counterTotals(d.deletedTotals));
    }
    return o;
  }

  /** Reads a document state written by {@link #encode(Document)}; malformed: {@link IllegalArgumentException}. */
  public static Document decodeDocument(JsonNode o) {
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException("a document state must be a JSON object");
    }
    Document d = new Document(text(o, "collection"), text(o, "id"));
    for (Iterator<Map.Entry<String, JsonNode>> it = object(o, "registers").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      JsonNode v = f.getValue().get("v");
      d.registers.put(f.getKey(), new Document.Write(hlc(f.getValue(), "at"), v == null || v.isNull() ? null : v));
    }
    readCounterTotals(object(o, "counters"), "counters").forEach((f, byNode) -> d.counters.put(f, new TreeMap<>(byNode)));
    for (Iterator<Map.Entry<String, JsonNode>> it = object(o, "sets").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      TreeMap<String, Document.Element> elements = new TreeMap<>();
      if (!f.getValue().isArray()) {
        throw new IllegalArgumentException("sets." + f.getKey() + " must be an array");
      }
      for (JsonNode e : f.getValue()) {
        JsonNode v = e.get("v");
        if (v == null) {
          throw new IllegalArgumentException("sets." + f.getKey() + ": an element without v");
        }
        Document.Element el = Document.element(elements, v);
        el.added.putAll(readClocks(object(e, "added"), "added"));
        el.removed.putAll(readClocks(object(e, "removed"), "removed"));
      }
      d.sets.put(f.getKey(), elements);
    }
    d.seen.putAll(readClocks(object(o, "seen"), "seen"));
    JsonNode del = o.get("deleted");
    if (del != null && !del.isNull()) {
      d.deletedAt = hlc(del, "at");
      d.deletedSeen.putAll(readClocks(object(del, "seen"), "deleted.seen"));
      readCounterTotals(object(del, "counters"), "deleted.counters")
          .forEach((f, byNode) -> d.deletedTotals.put(f, new TreeMap<>(byNode)));
    }
    return d;
  }

  // ---- helpers -------------------------------------------------------------------------------------

  private static JsonNode parse(byte[] json, String what) {
    try {
      JsonNode n = JSON.readTree(json);
      if (n == null || !n.isObject()) {
        throw new IllegalArgumentException(what + " must be a JSON object");
      }
      return n;
    } catch (IOException e) {
      String m = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw new IllegalArgumentException("malformed " + what + " JSON: " + m, e);
    }
  }

  private static String text(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.isTextual() || n.asText().isEmpty()) {
      throw new IllegalArgumentException("\"" + field + "\" must be a non-empty string");
    }
    return n.asText();
  }

  private static long whole(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new IllegalArgumentException("\"" + field + "\" must be a whole number, was " + n);
    }
    return n.asLong();
  }

  private static Hlc hlc(JsonNode o, String field) {
    return Hlc.parse(text(o, field));
  }

  private static JsonNode object(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("\"" + field + "\" must be a JSON object");
    }
    return n;
  }

  private static JsonNode array(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.isArray()) {
      throw new IllegalArgumentException("\"" + field + "\" must be a JSON array");
    }
    return n;
  }

  /** Refuses a value nested deeper than {@value #MAX_DEPTH} levels, naming {@code where}. */
  public static void checkValue(JsonNode n, String where) {
    checkDepth(n, where);
  }

  private static void checkDepth(JsonNode n, String where) {
    if (depth(n, 0) > MAX_DEPTH) {
      throw new IllegalArgumentException(where + " is nested deeper than " + MAX_DEPTH + " levels");
    }
  }

  private static int depth(JsonNode n, int d) {
    if (d > MAX_DEPTH) {
      return d;
    }
    int max = d;
    if (n.isContainerNode()) {
      for (JsonNode c : n) {
        max = Math.max(max, depth(c, d + 1));
      }
    }
    return max;
  }

  private static ObjectNode clocks(Map<String, Hlc> byNode) {
    ObjectNode o = NODES.objectNode();
    new TreeMap<>(byNode).forEach((node, at) -> o.put(node, at.toString()));
    return o;
  }

  private static Map<String, Hlc> readClocks(JsonNode o, String where) {
    Map<String, Hlc> m = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new IllegalArgumentException(where + "." + e.getKey() + " must be an HLC string");
      }
      Hlc h = Hlc.parse(e.getValue().asText());
      if (!h.node().equals(e.getKey())) {
        throw new IllegalArgumentException(where + "." + e.getKey() + " holds a time of another node: " + h);
      }
      m.put(e.getKey(), h);
    }
    return m;
  }

  /** A patch's base: per field, the time of the value it was written over. */
  private static Map<String, Hlc> readBase(JsonNode o) {
    Map<String, Hlc> m = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new IllegalArgumentException("base." + e.getKey() + " must be an HLC string");
      }
      m.put(Document.checkField(e.getKey()), Hlc.parse(e.getValue().asText()));
    }
    return m;
  }

  private static ObjectNode counterTotals(Map<String, ? extends Map<String, Document.Totals>> byField) {
    ObjectNode o = NODES.objectNode();
    new TreeMap<>(byField).forEach((f, byNode) -> {
      ObjectNode n = o.putObject(f);
      new TreeMap<>(byNode).forEach((node, t) -> n.putArray(node).add(t.positive()).add(t.negative()));
    });
    return o;
  }

  private static Map<String, Map<String, Document.Totals>> readCounterTotals(JsonNode o, String where) {
    Map<String, Map<String, Document.Totals>> m = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!f.getValue().isObject()) {
        throw new IllegalArgumentException(where + "." + f.getKey() + " must be an object of node totals");
      }
      Map<String, Document.Totals> byNode = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> nodes = f.getValue().fields(); nodes.hasNext(); ) {
        Map.Entry<String, JsonNode> n = nodes.next();
        JsonNode t = n.getValue();
        if (!t.isArray() || t.size() != 2 || !t.get(0).isIntegralNumber() || !t.get(1).isIntegralNumber()
            || !t.get(0).canConvertToLong() || !t.get(1).canConvertToLong()) {
          throw new IllegalArgumentException(where + "." + f.getKey() + "." + n.getKey() + " must be [positive, negative]");
        }
        byNode.put(Hlc.checkNode(n.getKey()), new Document.Totals(t.get(0).asLong(), t.get(1).asLong()));
      }
      m.put(Document.checkField(f.getKey()), byNode);
    }
    return m;
  }
}
