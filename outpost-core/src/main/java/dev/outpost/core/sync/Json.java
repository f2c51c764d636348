package dev.outpost.core.sync;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** JSON helpers of the merge model. Stateless. */
final class Json {
  private Json() {}

  /**
   * One text per JSON value, whatever the order of an object's keys: set elements are told apart
   * (and sorted) by it, so {"a":1,"b":2} and {"b":2,"a":1} are one element.
   */
  static String canonical(JsonNode n) {
    StringBuilder b = new StringBuilder();
    write(n, b);
    return b.toString();
  }

  private static void write(JsonNode n, StringBuilder b) {
    if (n.isObject()) {
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        fields.add(it.next());
      }
      fields.sort(Map.Entry.comparingByKey());
      b.append('{');
      for (int i = 0; i < fields.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        b.append(com.fasterxml.jackson.databind.node.TextNode.valueOf(fields.get(i).getKey()));
        b.append(':');
        write(fields.get(i).getValue(), b);
      }
      b.append('}');
    } else if (n.isArray()) {
      b.append('[');
      for (int i = 0; i < n.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        write(n.get(i), b);
      }
      b.append(']');
    } else {
      b.append(n);
    }
  }
}
