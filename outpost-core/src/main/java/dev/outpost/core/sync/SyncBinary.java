package dev.outpost.core.sync;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.outpost.core.internal.ByteSink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The compact binary form of a {@link Document}'s merge state: what the server stores and what
 * the change feed's binary pull carries, byte for byte (the server never decodes a state to send
 * it). About a third of {@link SyncJson#encode(Document) the JSON form}: node ids are written once
 * per document, HLCs as small numbers, scalar values without JSON text.
 *
 * <pre>
 * state    := 0x01 nodes:varint node:string*nodes base:varint
 *             registers:varint (field:string hlc value)*
 *             counters:varint (field:string totals)*
 *             sets:varint (field:string elements:varint (value clocks clocks)*)*
 *             clocks                      (seen)
 *             deleted:u8 [hlc clocks totals-by-field]   (when deleted = 1)
 * hlc      := node:varint (index) millis:varint (minus base) logical:varint
 * clocks   := count:varint hlc*           (one per node)
 * totals   := count:varint (node:varint positive:varint negative:varint)*
 * value    := 0 removed | 1 string | 2 whole number (zigzag) | 3 double (8 bytes, big-endian)
 *             | 4 true | 5 false | 6 JSON text (objects, arrays, other numbers) | 7 null
 * string   := length:varint UTF-8
 * </pre>
 *
 * <p>The collection and id are not in it: they are the row's key, or the feed entry's. Decoding
 * checks every length and count against what is left and bounds JSON values as {@link SyncJson}
 * does: bad input is an {@link IllegalArgumentException} naming what, never another exception.
 * Thread-safe.
 */
public final class SyncBinary {
  private static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(SyncJson.MAX_DEPTH + 8)
          .maxStringLength(1 << 20).maxNumberLength(64).build())
      .build());

  private SyncBinary() {}

  /** The state of {@code d} in binary. */
  public static byte[] encode(Document d) {
    Nodes nodes = new Nodes();
    long base = Long.MAX_VALUE;
    // collect the nodes and the oldest wall time first: the header names them once
    for (Document.Write w : d.registers.values()) {
      base = Math.min(base, nodes.see(w.hlc()));
    }
    for (TreeMap<String, Document.Totals> byNode : d.counters.values()) {
      byNode.keySet().forEach(nodes::index);
    }
    for (TreeMap<String, Document.Element> elements : d.sets.values()) {
      for (Document.Element e : elements.values()) {
        for (Hlc h : e.added.values()) {
          base = Math.min(base, nodes.see(h));
        }
        for (Hlc h : e.removed.values()) {
          base = Math.min(base, nodes.see(h));
        }
      }
    }
    for (Hlc h : d.seen.values()) {
      base = Math.min(base, nodes.see(h));
    }
    if (d.deletedAt != null) {
      base = Math.min(base, nodes.see(d.deletedAt));
      for (Hlc h : d.deletedSeen.values()) {
        base = Math.min(base, nodes.see(h));
      }
      for (TreeMap<String, Document.Totals> byNode : d.deletedTotals.values()) {
        byNode.keySet().forEach(nodes::index);
      }
    }
    if (base == Long.MAX_VALUE) {
      base = 0;
    }
    ByteSink out = new ByteSink(64 + 24 * d.registers.size());
    out.u8(VERSION);
    out.varint(nodes.list.size());
    for (String n : nodes.list) {
      out.string(n);
    }
    out.varint(base);
    out.varint(d.registers.size());
    for (Map.Entry<String, Document.Write> r : d.registers.entrySet()) {
      out.string(r.getKey());
      hlc(out, nodes, base, r.getValue().hlc());
      value(out, r.getValue().value());
    }
    totalsByField(out, nodes, d.counters);
    out.varint(d.sets.size());
    for (Map.Entry<String, TreeMap<String, Document.Element>> s : d.sets.entrySet()) {
      out.string(s.getKey());
      out.varint(s.getValue().size());
      for (Document.Element e : s.getValue().values()) {
        value(out, e.value);
        clocks(out, nodes, base, e.added);
        clocks(out, nodes, base, e.removed);
      }
    }
    clocks(out, nodes, base, d.seen);
    if (d.deletedAt == null) {
      out.u8(0);
    } else {
      out.u8(1);
      hlc(out, nodes, base, d.deletedAt);
      clocks(out, nodes, base, d.deletedSeen);
      totalsByField(out, nodes, d.deletedTotals);
    }
    return out.toByteArray();
  }

  /** Reads a state written by {@link #encode}; malformed input: {@link IllegalArgumentException}. */
  public static Document decode(String collection, String id, byte[] state) {
    return decode(collection, id, state, 0, state.length);
  }

  /** Reads a state from {@code len} bytes of {@code buf} at {@code off}. */
  public static Document decode(String collection, String id, byte[] buf, int off, int len) {
    In in = new In(buf, off, off + len);
    int version = in.u8("version");
    if (version != VERSION) {
      throw new IllegalArgumentException("document state: unknown format version " + version + " (this build reads " + VERSION + ")");
    }
    Document d = new Document(collection, id);
    int nodeCount = in.count("nodes", 2);
    List<String> nodes = new ArrayList<>(nodeCount);
    for (int i = 0; i < nodeCount; i++) {
      nodes.add(checked(() -> Hlc.checkNode(in.string("node"))));
    }
    long base = in.varint("base");
    int registers = in.count("registers", 4);
    for (int i = 0; i < registers; i++) {
      String field = in.field();
      Hlc at = hlc(in, nodes, base);
      d.registers.put(field, new Document.Write(at, in.value(field, true)));
    }
    readTotalsByField(in, nodes, d.counters, "counters");
    int sets = in.count("sets", 2);
    for (int i = 0; i < sets; i++) {
      String field = in.field();
      int count = in.count("sets." + field, 3);
      TreeMap<String, Document.Element> elements = new TreeMap<>();
      for (int k = 0; k < count; k++) {
        JsonNode v = in.value(field, false);
        Document.Element e = Document.element(elements, v);
        readClocks(in, nodes, base, e.added, "sets." + field + ".added");
        readClocks(in, nodes, base, e.removed, "sets." + field + ".removed");
      }
      d.sets.put(field, elements);
    }
    readClocks(in, nodes, base, d.seen, "seen");
    int deleted = in.u8("deleted");
    if (deleted == 1) {
      d.deletedAt = hlc(in, nodes, base);
      readClocks(in, nodes, base, d.deletedSeen, "deleted.seen");
      readTotalsByField(in, nodes, d.deletedTotals, "deleted.counters");
    } else if (deleted != 0) {
      throw new IllegalArgumentException("document state: deleted flag must be 0 or 1, was " + deleted);
    }
    if (in.pos != in.end) {
      throw new IllegalArgumentException("document state: " + (in.end - in.pos) + " trailing bytes");
    }
    return d;
  }

  // ---- writing -------------------------------------------------------------------------------------

  /**
   * Node ids in first-seen order. Most documents have a handful, where a scan beats hashing; a
   * counter a whole fleet increments has thousands, and gets a map.
   */
  private static final class Nodes {
    private static final int SCAN = 16;
    final List<String> list = new ArrayList<>(4);
    private java.util.HashMap<String, Integer> index;

    int index(String node) {
      if (index != null) {
        Integer i = index.get(node);
        return i != null ? i : add(node);
      }
      for (int i = 0; i < list.size(); i++) {
        String n = list.get(i);
        if (n == node || n.equals(node)) {
          return i;
        }
      }
      return add(node);
    }

    private int add(String node) {
      list.add(node);
      if (index != null) {
        index.put(node, list.size() - 1);
      } else if (list.size() > SCAN) {
        index = new java.util.HashMap<>();
        for (int i = 0; i < list.size(); i++) {
          index.put(list.get(i), i);
        }
      }
      return list.size() - 1;
    }

    long see(Hlc h) {
      index(h.node());
      return h.wallMillis();
    }
  }

  private static void hlc(ByteSink out, Nodes nodes, long base, Hlc h) {
    out.varint(nodes.index(h.node()));
    out.varint(h.wallMillis() - base);
    out.varint(h.logical());
  }

  private static void clocks(ByteSink out, Nodes nodes, long base, Map<String, Hlc> byNode) {
    out.varint(byNode.size());
    for (Hlc h : byNode.values()) {
      hlc(out, nodes, base, h);
    }
  }

  private static void totalsByField(ByteSink out, Nodes nodes, Map<String, TreeMap<String, Document.Totals>> byField) {
    out.varint(byField.size());
    for (Map.Entry<String, TreeMap<String, Document.Totals>> f : byField.entrySet()) {
      out.string(f.getKey());
      out.varint(f.getValue().size());
      for (Map.Entry<String, Document.Totals> t : f.getValue().entrySet()) {
        out.varint(nodes.index(t.getKey()));
        out.varint(t.getValue().positive());
        out.varint(t.getValue().negative());
      }
    }
  }

  private static void value(ByteSink out, JsonNode v) {
    if (v == null) {
      out.u8(0);
    } else if (v.isTextual()) {
      out.u8(1);
      out.string(v.textValue());
    } else if (v instanceof IntNode || v instanceof LongNode) {
      out.u8(2);
      out.zigzag(v.longValue());
    } else if (v instanceof DoubleNode) {
      out.u8(3);
      out.u64(Double.doubleToRawLongBits(v.doubleValue()));
    } else if (v.isBoolean()) {
      out.u8(v.booleanValue() ? 4 : 5);
    } else if (v.isNull()) {
      out.u8(7);
    } else {
      out.u8(6);
      out.string(Json.canonical(v));
    }
  }

  // ---- reading -------------------------------------------------------------------------------------

  private interface Check<T> {
    T get();
  }

  /** Runs a model check; its refusal (any runtime exception) becomes an {@link IllegalArgumentException}. */
  private static <T> T checked(Check<T> c) {
    try {
      return c.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("document state: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("document state: " + e, e);
    }
  }

  private static Hlc hlc(In in, List<String> nodes, long base) {
    long node = in.varint("hlc node");
    if (node >= nodes.size()) {
      throw new IllegalArgumentException("document state: HLC names node #" + node + " of " + nodes.size());
    }
    long millis = in.varint("hlc millis");
    long logical = in.varint("hlc logical");
    if (millis > Long.MAX_VALUE - base || logical > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("document state: HLC out of range");
    }
    return new Hlc(base + millis, (int) logical, nodes.get((int) node));
  }

  private static void readClocks(In in, List<String> nodes, long base, Map<String, Hlc> into, String where) {
    int n = in.count(where, 3);
    for (int i = 0; i < n; i++) {
      Hlc h = hlc(in, nodes, base);
      if (into.put(h.node(), h) != null) {
        throw new IllegalArgumentException("document state: " + where + " names node " + h.node() + " twice");
      }
    }
  }

  private static void readTotalsByField(In in, List<String> nodes, Map<String, TreeMap<String, Document.Totals>> into,
      String where) {
    int fields = in.count(where, 2);
    for (int i = 0; i < fields; i++) {
      String field = checked(() -> Document.checkField(in.string(where)));
      int n = in.count(where + "." + field, 3);
      TreeMap<String, Document.Totals> byNode = new TreeMap<>();
      for (int k = 0; k < n; k++) {
        long node = in.varint(where);
        if (node >= nodes.size()) {
          throw new IllegalArgumentException("document state: " + where + "." + field + " names node #" + node);
        }
        long positive = in.varint(where);
        long negative = in.varint(where);
        if (positive < 0 || negative < 0) {
          throw new IllegalArgumentException("document state: " + where + "." + field + " totals out of range");
        }
        byNode.put(nodes.get((int) node), new Document.Totals(positive, negative));
      }
      into.put(field, byNode);
    }
  }

  /** A bounded reader over part of an array. */
  static final class In {
    final byte[] buf;
    int pos;
    final int end;

    In(byte[] buf, int off, int end) {
      if (off < 0 || end > buf.length || off > end) {
        throw new IllegalArgumentException("document state: bad bounds");
      }
      this.buf = buf;
      this.pos = off;
      this.end = end;
    }

    int u8(String what) {
      if (pos >= end) {
        throw new IllegalArgumentException("document state ends inside " + what);
      }
      return buf[pos++] & 0xFF;
    }

    long varint(String what) {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = (byte) u8(what);
        result |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new IllegalArgumentException("document state: " + what + " is a varint longer than 10 bytes");
    }

    /** A count of items each at least {@code minBytes} long: more than what is left can hold is refused. */
    int count(String what, int minBytes) {
      long n = varint(what);
      if (n < 0 || n > (end - pos) / minBytes) {
        throw new IllegalArgumentException("document state: " + what + " claims " + n + " items in " + (end - pos) + " bytes");
      }
      return (int) n;
    }

    int length(String what) {
      long n = varint(what);
      if (n < 0 || n > end - pos) {
        throw new IllegalArgumentException("document state: " + what + " length " + n + " exceeds what is left");
      }
      return (int) n;
    }

    String string(String what) {
      int len = length(what);
      String s = new String(buf, pos, len, StandardCharsets.UTF_8);
      pos += len;
      return s;
    }

    /** A register or counter/set field name (a register may be the existence marker, ""). */
    String field() {
      String f = string("field");
      if (f.length() > Document.MAX_FIELD_CHARS) {
        throw new IllegalArgumentException("document state: a field name longer than " + Document.MAX_FIELD_CHARS + " chars");
      }
      return f;
    }

    JsonNode value(String field, boolean mayBeRemoved) {
      int tag = u8(field);
      return switch (tag) {
        case 0 -> {
          if (!mayBeRemoved) {
            throw new IllegalArgumentException("document state: " + field + " holds a removed marker where a value must be");
          }
          yield null;
        }
        case 1 -> TextNode.valueOf(string(field));
        case 2 -> {
          long v = varint(field);
          long n = (v >>> 1) ^ -(v & 1);
          yield n == (int) n ? IntNode.valueOf((int) n) : LongNode.valueOf(n);
        }
        case 3 -> {
          if (end - pos < 8) {
            throw new IllegalArgumentException("document state ends inside " + field);
          }
          long bits = 0;
          for (int i = 0; i < 8; i++) {
            bits = (bits << 8) | (buf[pos++] & 0xFF);
          }
          yield DoubleNode.valueOf(Double.longBitsToDouble(bits));
        }
        case 4 -> BooleanNode.TRUE;
        case 5 -> BooleanNode.FALSE;
        case 6 -> {
          int len = length(field);
          JsonNode n;
          try {
            n = JSON.readTree(buf, pos, len);
          } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("document state: " + field + " holds malformed JSON", e);
          }
          pos += len;
          if (n == null || n.isMissingNode()) {
            throw new IllegalArgumentException("document state: " + field + " holds empty JSON");
          }
          checked(() -> {
            SyncJson.checkValue(n, field);
            return n;
          });
          yield n;
        }
        case 7 -> NullNode.getInstance();
        default -> throw new IllegalArgumentException("document state: " + field + " has unknown value tag " + tag);
      };
    }
  }
}
