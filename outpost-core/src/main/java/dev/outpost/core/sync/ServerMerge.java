package dev.outpost.core.sync;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How the server merges an op into its copy of a document, by the collection's rules: the server is
 * where writers meet, so it is where {@code server-wins} and {@code manual} decide. Counters and
 * sets never conflict; a register field conflicts when the writer had not seen its current value
 * (the op's base for the field is not the current write) and wants another value.
 *
 * <ul>
 *   <li>{@code lww}: the op is applied as is.
 *   <li>{@code server-wins}: the op is applied, then every field where it met a current value the
 *       server itself wrote is written again with that value, stamped by the server after the op.
 *   <li>{@code manual}: the op is applied, then every conflicting field is written again with the
 *       current value (so no replica takes a side) and a {@link Conflict} is recorded with both
 *       values, who wrote them and when; {@link #resolve} writes the chosen value later.
 * </ul>
 *
 * <p>Every replica converges to the server's state, because the writes again are newer by HLC than
 * the op. The server takes each op once (ingest dedupes on the record's id before merging), so a
 * conflict is recorded once. Pure; the caller holds the document.
 */
public final class ServerMerge {
  private ServerMerge() {}

  /** A register field two writers changed without seeing each other's write. */
  public record Conflict(String collection, String id, String field, JsonNode current, Hlc currentAt,
      JsonNode proposed, Hlc proposedAt) {}

  /** The ops applied to the document (the op itself first) and the conflicts it raised. */
  public record Outcome(List<Op> applied, List<Conflict> conflicts) {}

  /**
   * Merges {@code op} into {@code doc}.
   *
   * @param clock the server's clock: it receives the op's time first
   * @throws ClockSkewException if the op's time is too far ahead (nothing applied)
   * @throws IllegalArgumentException if the op breaks the collection's rules or would take the
   *     document over its size limit (nothing applied)
   */
  public static Outcome apply(Document doc, Op op, CollectionRules rules, HlcClock clock) {
    rules.check(op);
    clock.receive(op.hlc());
    Map<String, JsonNode> rewrite = new HashMap<>();
    List<Conflict> conflicts = new ArrayList<>();
    if (op instanceof Op.Patch p && rules.conflict() != CollectionRules.Conflict.LWW) {
      for (Map.Entry<String, JsonNode> f : p.fields().entrySet()) {
        JsonNode current = doc.register(f.getKey());
        Hlc currentAt = doc.registerHlc(f.getKey());
        boolean concurrent = currentAt != null && !currentAt.equals(p.base().get(f.getKey()));
        if (!concurrent || Objects.equals(current, f.getValue())) {
          continue;
        }
        if (rules.conflict() == CollectionRules.Conflict.SERVER_WINS) {
          if (currentAt.node().equals(clock.node())) {
            rewrite.put(f.getKey(), current);
          }
        } else {
          rewrite.put(f.getKey(), current);
          conflicts.add(new Conflict(op.collection(), op.id(), f.getKey(), current, currentAt, f.getValue(), op.hlc()));
        }
      }
    }
    // An op that would take the document over its size limit changes nothing. When the view's size
    // before plus the most the op can add stays within the limit (the common case), the op is
    // applied without a copy to go back to and without serializing the view to measure it.
    int limit = rules.maxDocBytes();
    int before = limit > 0 ? doc.viewBytesAtMost() : -1;
    long atMost = before >= 0 ? before + viewGrowthAtMost(op) : Long.MAX_VALUE;
    boolean fits = limit == 0 || atMost <= limit;
    Document copy = fits ? null : doc.copy();
    List<Op> applied = new ArrayList<>(2);
    doc.apply(op);
    applied.add(op);
    if (!rewrite.isEmpty()) {
      Op again = doc.patch(clock.now(), rewrite);
      doc.apply(again); // writes back values the view had: it adds nothing to the bound
      applied.add(again);
    }
    if (fits) {
      if (limit > 0) {
        doc.viewBytesAtMost((int) atMost);
      }
    } else {
      try {
        rules.checkSize(op.id(), doc);
      } catch (IllegalArgumentException e) {
        doc.restore(copy);
        throw e;
      }
    }
    return new Outcome(applied, conflicts);
  }

  /**
   * The most {@code op} can add to an existing document's JSON view, in UTF-8 bytes: each field it
   * sets with its name and value as the view would write them at their longest (every character
   * escaped), a counter at its longest number, a set's added elements. A delete and removals add
   * nothing.
   */
  static long viewGrowthAtMost(Op op) {
    return switch (op) {
      case Op.Patch p -> {
        long n = 0;
        for (Map.Entry<String, JsonNode> f : p.fields().entrySet()) {
          if (f.getValue() != null) {
            n += nameAtMost(f.getKey()) + jsonAtMost(f.getValue()) + 1;
          }
        }
        yield n;
      }
      case Op.Increment i -> nameAtMost(i.field()) + 20 + 1; // Long.MIN_VALUE has 20 characters
      case Op.SetChange c -> {
        if (c.add().isEmpty()) {
          yield 0;
        }
        long n = nameAtMost(c.field()) + 2 + 1;
        for (JsonNode e : c.add()) {
          n += jsonAtMost(e) + 1;
        }
        yield n;
      }
      case Op.Delete d -> 0;
    };
  }

  /** {@code "name":} at its longest. */
  private static long nameAtMost(String name) {
    return 6L * name.length() + 3;
  }

  /** The JSON text of {@code v} at its longest in UTF-8 bytes (a string's every character escaped as \\uXXXX). */
  private static long jsonAtMost(JsonNode v) {
    return switch (v.getNodeType()) {
      case STRING -> 6L * v.textValue().length() + 2;
      case BOOLEAN, NULL, MISSING -> 5;
      case NUMBER -> v.isInt() || v.isLong() || v.isShort() ? 20 : v.isDouble() || v.isFloat() ? 26
          : 3L * v.toString().length();
      case ARRAY -> {
        long n = 2;
        for (JsonNode e : v) {
          n += jsonAtMost(e) + 1;
        }
        yield n;
      }
      case OBJECT -> {
        long n = 2;
        for (Map.Entry<String, JsonNode> e : v.properties()) {
          n += nameAtMost(e.getKey()) + jsonAtMost(e.getValue()) + 1;
        }
        yield n;
      }
      case BINARY, POJO -> Integer.MAX_VALUE; // never parsed from JSON: measured exactly instead
    };
  }

  /** The op that settles a conflict with {@code value} (null: remove the field), stamped by the server. */
  public static Op.Patch resolve(Document doc, Conflict conflict, JsonNode value, HlcClock clock) {
    Map<String, JsonNode> fields = new HashMap<>();
    fields.put(conflict.field(), value);
    return doc.patch(clock.now(), fields);
  }
}
