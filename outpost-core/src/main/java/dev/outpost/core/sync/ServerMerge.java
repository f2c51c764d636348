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
    // an op that would take the document over its size limit changes nothing: back to the copy
    Document before = rules.maxDocBytes() > 0 ? doc.copy() : null;
    List<Op> applied = new ArrayList<>(2);
    doc.apply(op);
    applied.add(op);
    if (!rewrite.isEmpty()) {
      Op again = doc.patch(clock.now(), rewrite);
      doc.apply(again);
      applied.add(again);
    }
    try {
      rules.checkSize(op.id(), doc);
    } catch (IllegalArgumentException e) {
      doc.restore(before);
      throw e;
    }
    return new Outcome(applied, conflicts);
  }

  /** The op that settles a conflict with {@code value} (null: remove the field), stamped by the server. */
  public static Op.Patch resolve(Document doc, Conflict conflict, JsonNode value, HlcClock clock) {
    Map<String, JsonNode> fields = new HashMap<>();
    fields.put(conflict.field(), value);
    return doc.patch(clock.now(), fields);
  }
}
