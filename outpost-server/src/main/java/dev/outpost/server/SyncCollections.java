package dev.outpost.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.outpost.core.sync.CollectionRules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The replicated collections a server serves, from the YAML file given with {@code --sync-config}
 * (docs/sync-model.md):
 *
 * <pre>
 * collections:
 *   orders:
 *     conflict: lww            # lww | server-wins | manual
 *     counters: [qty]          # PN-counter fields
 *     sets: [tags]             # add-wins set fields
 *     devices: read-write      # read | read-write (default: read)
 *     subscribe: all           # or: {where: {site: "$device.site"}}
 *     max_doc_bytes: 65536     # default 65536; 0: no limit
 * </pre>
 *
 * An unknown key or a bad value fails with an {@link IllegalArgumentException} naming the key,
 * the value and what is allowed: a server does not start on a configuration it half understood.
 * Immutable; thread-safe.
 */
public final class SyncCollections {
  /** Default size limit of one document's JSON view. */
  public static final int DEFAULT_MAX_DOC_BYTES = 64 << 10;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern LABEL_REF = Pattern.compile("\\$device\\.([A-Za-z0-9_.-]{1,64})");
  private static final Set<String> KEYS = Set.of("conflict", "counters", "sets", "devices", "subscribe", "max_doc_bytes");
  private static final ObjectMapper YAML = new ObjectMapper(
      YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

  /**
   * Which documents of a collection a device receives: all of them ({@code where} empty), or those
   * whose fields equal the given values; a value {@code $device.<label>} stands for the device's
   * label of that name (a device without the label receives none).
   */
  public record Subscription(Map<String, String> where) {
    public static final Subscription ALL = new Subscription(Map.of());

    public Subscription {
      where = Map.copyOf(where);
    }

    public boolean all() {
      return where.isEmpty();
    }

    /**
     * The value a where entry stands for, for a device with these labels: the literal value, the
     * device's label a {@code $device.<label>} names, or null when the device lacks that label.
     */
    public static String resolve(String value, Map<String, String> labels) {
      var m = LABEL_REF.matcher(value);
      return m.matches() ? labels.get(m.group(1)) : value;
    }

    /** The label a where value refers to, or empty for a literal value. */
    public static Optional<String> label(String value) {
      var m = LABEL_REF.matcher(value);
      return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }
  }

  /** One collection: how it merges and who receives what. */
  public record Collection(CollectionRules rules, Subscription subscribe) {}

  private final Map<String, Collection> collections;

  private static final SyncCollections NONE = new SyncCollections(Map.of(), "collections: {}\n");
  private final String source;

  private SyncCollections(Map<String, Collection> collections, String source) {
    this.collections = Map.copyOf(collections);
    this.source = source;
  }

  /** No collections: the server serves no documents. */
  public static SyncCollections none() {
    return NONE;
  }

  /** The YAML (or JSON) text this was parsed from: what the server stores and the admin API shows. */
  public String source() {
    return source;
  }

  public static SyncCollections read(Path file) {
    try {
      return parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new IllegalArgumentException("sync config " + file + ": cannot read it: " + e.getMessage(), e);
    }
  }

  /** Parses YAML text; {@code origin} names it in messages. */
  public static SyncCollections parse(String text, String origin) {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
      throw new IllegalArgumentException("sync config " + origin + ": not valid YAML" + where + ": " + e.getOriginalMessage(), e);
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      return new SyncCollections(Map.of(), text);
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
      return new SyncCollections(Map.of(), text);
    }
    if (!cs.isObject()) {
      throw new IllegalArgumentException(at + "'collections' must be a map of collection name to settings");
    }
    Map<String, Collection> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = cs.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), collection(at, e.getKey(), e.getValue()));
    }
    return new SyncCollections(out, text);
  }

  private static Collection collection(String at, String name, JsonNode c) {
    String key = "collections." + name;
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(at + key + ": a collection name is 1 to 64 letters, digits, '_' or '-'");
    }
    if (c == null || c.isNull()) {
      c = YAML.createObjectNode();
    }
    if (!c.isObject()) {
      throw new IllegalArgumentException(at + key + " must be a map of settings (" + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
    }
    for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        throw new IllegalArgumentException(at + "unknown key '" + key + "." + k + "' (allowed: "
            + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
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
    return new Collection(new CollectionRules(name, conflict, counters, sets, devices, maxDocBytes),
        subscription(at, key + ".subscribe", c.get("subscribe")));
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

  private static Subscription subscription(String at, String key, JsonNode n) {
    if (n == null || n.isNull() || (n.isTextual() && n.asText().equals("all"))) {
      return Subscription.ALL;
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
      if (v.startsWith("$") && Subscription.label(v).isEmpty()) {
        throw new IllegalArgumentException(at + key + ".where." + e.getKey() + ": '" + v
            + "' is not a label reference (write \"$device.<label>\")");
      }
      where.put(e.getKey(), v);
    }
    return new Subscription(where);
  }

  /** The collection of this name, if the server serves it. */
  public Optional<Collection> get(String name) {
    return Optional.ofNullable(collections.get(name));
  }

  /** Every collection, by name. */
  public Map<String, Collection> all() {
    return collections;
  }
}
