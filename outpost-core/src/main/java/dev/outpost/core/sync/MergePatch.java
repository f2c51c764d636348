package dev.outpost.core.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes as people and apps give them, turned into ops of a document, the same on the server's
 * document API and a device's replica: {@link #replace} (PUT: the register fields become exactly
 * these) and {@link #patch} (a JSON merge patch, RFC 7396, plus {@code {"$inc": n}} on a counter and
 * {@code {"$add": [..]}} / {@code {"$remove": [..]}} on a set). Anything against the collection's
 * rules is an {@link IllegalArgumentException} naming the field and the rule; nothing is applied
 * here (the caller applies the ops). Stateless.
 */
public final class MergePatch {
  private MergePatch() {}

  /** A patch that makes the register fields exactly {@code fields}; counters and sets stay. */
  public static Op replace(Document doc, ObjectNode fields, CollectionRules rules, HlcClock clock) {
    checkRegisters(fields, rules);
    Map<String, JsonNode> patch = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      SyncJson.checkValue(e.getValue(), rules.name() + "." + e.getKey());
      patch.put(e.getKey(), e.getValue());
    }
    ObjectNode view = doc.view();
    if (view != null) {
      view.fieldNames().forEachRemaining(f -> {
        if (!rules.counters().contains(f) && !rules.sets().contains(f) && !fields.has(f)) {
          patch.put(f, null); // replaced: what the body does not name is removed
        }
      });
    }
    return doc.patch(clock.now(), patch);
  }

  /**
   * Refuses a counter or set field among {@code fields}, naming it and how to change it: PUT, an
   * import and a patch op set register fields only.
   */
  public static void checkRegisters(ObjectNode fields, CollectionRules rules) {
    for (Iterator<String> it = fields.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (rules.counters().contains(f) || rules.sets().contains(f)) {
        throw new IllegalArgumentException(rules.name() + "." + f + " is a " + (rules.counters().contains(f)
            ? "counter" : "set") + ": PUT replaces register fields only; change it with PATCH and "
            + (rules.counters().contains(f) ? "{\"$inc\": n}" : "{\"$add\": [..]} / {\"$remove\": [..]}"));
      }
    }
  }

  /** The ops of a merge patch (the register changes first, as one patch), in order. */
  public static List<Op> patch(Document doc, ObjectNode body, CollectionRules rules, HlcClock clock) {
    Map<String, JsonNode> registers = new HashMap<>();
    List<Op> ops = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String f = e.getKey();
      JsonNode v = e.getValue();
      if (rules.counters().contains(f)) {
        JsonNode inc = v.isObject() && v.size() == 1 ? v.get("$inc") : null;
        if (inc == null || !inc.isIntegralNumber() || !inc.canConvertToLong()) {
          throw new IllegalArgumentException(rules.name() + "." + f + " is a counter: give {\"$inc\": n} with a whole number n, not " + v);
        }
        ops.add(doc.increment(clock.now(), f, inc.asLong()));
      } else if (rules.sets().contains(f)) {
        JsonNode add = v.isObject() ? v.get("$add") : null;
        JsonNode remove = v.isObject() ? v.get("$remove") : null;
        if (!v.isObject() || v.size() != (add != null ? 1 : 0) + (remove != null ? 1 : 0) || v.size() == 0
            || (add != null && !add.isArray()) || (remove != null && !remove.isArray())) {
          throw new IllegalArgumentException(rules.name() + "." + f + " is a set: give {\"$add\": [..]} and/or {\"$remove\": [..]} with arrays, not " + v);
        }
        ops.add(doc.changeSet(clock.now(), f, elements(add, rules.name() + "." + f), elements(remove, rules.name() + "." + f)));
      } else {
        if (v.isObject() && (v.has("$inc") || v.has("$add") || v.has("$remove"))) {
          throw new IllegalArgumentException(rules.name() + "." + f + " is a register (not in the collection's"
              + " counters " + rules.counters() + " or sets " + rules.sets() + "): give it a value");
        }
        SyncJson.checkValue(v, rules.name() + "." + f);
        registers.put(f, v); // a JSON null removes it, as in a merge patch
      }
    }
    if (!registers.isEmpty() || ops.isEmpty()) {
      ops.add(0, doc.patch(clock.now(), registers));
    }
    return ops;
  }

  private static List<JsonNode> elements(JsonNode array, String where) {
    List<JsonNode> out = new ArrayList<>();
    if (array != null) {
      for (JsonNode e : array) {
        SyncJson.checkValue(e, where);
        out.add(e);
      }
    }
    return out;
  }
}
