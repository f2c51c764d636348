package dev.outpost.core.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The sync config's shape ({@code collections: {name: {conflict, counters, sets, devices,
 * subscribe, max_doc_bytes}}}), read from a parsed tree: the server's {@code --sync-config} and
 * admin API, and a device's copy of the same file, read it the same way. Unknown keys and bad
 * values are an {@link IllegalArgumentException} naming the key, the value and what is allowed.
 * Stateless.
 */
public final class CollectionsConfig {
  /** Default size limit of one document's JSON view. */
  public static final int DEFAULT_MAX_DOC_BYTES = 64 << 10;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern LABEL_REF = Pattern.compile("\\$device\\.([A-Za-z0-9_.-]{1,64})");
  private static final Set<String> KEYS = Set.of("conflict", "counters", "sets", "devices", "subscribe", "max_doc_bytes");

  /**
   * One collection as configured.
   *
   * @param where the subscription's field values ({@code $device.<label>} references kept as
   *     written); empty: every device receives every document
   * @param extra the keys the caller allowed beyond the shared ones, as given
   */
  public record Entry(CollectionRules rules, Map<String, String> where, Map<String, JsonNode> extra) {}

  private CollectionsConfig() {}

  /**
   * Reads the tree of a sync config; {@code origin} names it in messages; {@code extraKeys} are
   * keys a collection may also have (a device's {@code priority}). An empty tree: no collections.
   */
  public static Map<String, Entry> parse(JsonNode root, String origin, Set<String> extraKeys) {
    Map<String, Entry> out = new TreeMap<>();
    if (root == null || root.isNull() || root.isMissingNode()) {
      return out;
    }
    String at = "sync config " + origin + ": ";
    if (!root.isObject()) {
      throw new IllegalArgumentException(at + "expected a map with the key 'collections'");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!k.equals("collections")) {
        throw new IllegalArgumentException(at + "unknown key '" + k + "' (allowed: collections)");
      }
    }
    JsonNode cs = root.get("collections");
    if (cs == null || cs.isNull()) {
      return out;
    }
    if (!cs.isObject()) {
      throw new IllegalArgumentException(at + "'collections' must be a map of collection name to settings");
    }
        for (Iterator<Map.Entry<String, JsonNode>> it = cs.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), collection(at, e.getKey(), e.getValue(), extraKeys));
    }
    return out;
  }

  /** The label a where value refers to ({@code $device.<label>}), or null for a literal value. */
  public static String label(String value) {
    var m = LABEL_REF.matcher(value);
    return m.matches() ? m.group(1) : null;
  }

  private static Entry collection(String at, String name, JsonNode c, Set<String> extraKeys) {
    String key = "collections." + name;
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(at + key + ": a collection name is 1 to 64 letters, digits, '_' or '-'");
    }
    if (c == null || c.isNull()) {
      c = JsonNodeFactory.instance.objectNode();
    }
    if (!c.isObject()) {
      throw new IllegalArgumentException(at + key + " must be a map of settings (" + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
    }
    for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k) && !extraKeys.contains(k)) {
        Set<String> allowed = new java.util.TreeSet<>(KEYS);
        allowed.addAll(extraKeys);
        throw new IllegalArgumentException(at + "unknown key '" + key + "." + k + "' (allowed: "
            + String.join(", ", allowed) + ")");
      }
    }
    CollectionRules.Conflict conflict = switch (text(at, key + ".conflict", c.get("conflict"), "lww")) {
      case "lww" -> CollectionRules.Conflict.LWW;
      case "server-wins" -> CollectionRules.Conflict.SERVER_WINS;
      case "manual" -> CollectionRules.Conflict.MANUAL;
      default -> throw new IllegalArgumentException(at + key + ".conflict: '" + c.get("conflict").asText()
          + "' is not a strategy (allowed: lww, server-wins, manual)");
    };
    CollectionRules.Access devices = switch (text(at, key + ".devices", c.get("devices"), "read")) {
      case "read" -> CollectionRules.Access.READ;
      case "read-write" -> CollectionRules.Access.READ_WRITE;
      default -> throw new IllegalArgumentException(at + key + ".devices: '" + c.get("devices").asText()
          + "' is not an access (allowed: read, read-write)");
    };
    Set<String> counters = fields(at, key + ".counters", c.get("counters"));
    Set<String> sets = fields(at, key + ".sets", c.get("sets"));
    for (String f : counters) {
      if (sets.contains(f)) {
        throw new IllegalArgumentException(at + key + ": field '" + f + "' is both in counters and in sets");
      }
    }
    int maxDocBytes = DEFAULT_MAX_DOC_BYTES;
    JsonNode max = c.get("max_doc_bytes");
    if (max != null && !max.isNull()) {
      if (!max.isIntegralNumber() || !max.canConvertToInt() || max.asInt() < 0) {
        throw new IllegalArgumentException(at + key + ".max_doc_bytes: '" + max.asText()
            + "' is not a size (allowed: a whole number of bytes, 0 for no limit)");
      }
      maxDocBytes = max.asInt();
    }
    Map<String, JsonNode> extra = new LinkedHashMap<>();
    for (String k : extraKeys) {
      if (c.has(k)) {
        extra.put(k, c.get(k));
      }
    }
    return new Entry(new CollectionRules(name, conflict, counters, sets, devices, maxDocBytes),
        subscription(at, key + ".subscribe", c.get("subscribe")), extra);
  }

  private static String text(String at, String key, JsonNode n, String dflt) {
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isTextual()) {
      throw new IllegalArgumentException(at + key + " must be a word, was " + n);
    }
    return n.asText().toLowerCase(Locale.ROOT);
  }

  private static Set<String> fields(String at, String key, JsonNode n) {
    Set<String> out = new LinkedHashSet<>();
    if (n == null || n.isNull()) {
      return out;
    }
    if (!n.isArray()) {
      throw new IllegalArgumentException(at + key + " must be a list of field names, e.g. [qty]");
    }
    for (JsonNode f : n) {
      if (!f.isTextual() || f.asText().isEmpty() || f.asText().length() > 256) {
        throw new IllegalArgumentException(at + key + ": '" + f.asText() + "' is not a field name (1 to 256 chars)");
      }
      out.add(f.asText());
    }
    return out;
  }

  private static Map<String, String> subscription(String at, String key, JsonNode n) {
    if (n == null || n.isNull() || (n.isTextual() && n.asText().equals("all"))) {
      return Map.of();
    }
    if (!n.isObject() || n.size() != 1 || !n.has("where") || !n.get("where").isObject() || n.get("where").isEmpty()) {
      throw new IllegalArgumentException(at + key + ": must be 'all' or {where: {field: value}} (a value"
          + " \"$device.<label>\" stands for the device's label), was " + n);
    }
    Map<String, String> where = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.get("where").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isValueNode() || e.getValue().isNull()) {
        throw new IllegalArgumentException(at + key + ".where." + e.getKey() + " must be a value or \"$device.<label>\"");
      }
      String v = e.getValue().asText();
      if (v.startsWith("$") && label(v) == null) {
        throw new IllegalArgumentException(at + key + ".where." + e.getKey() + ": '" + v
            + "' is not a label reference (write \"$device.<label>\")");
      }
      where.put(e.getKey(), v);
    }
    return where;
  }

}
