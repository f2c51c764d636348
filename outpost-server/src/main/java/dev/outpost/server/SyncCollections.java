package dev.outpost.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.outpost.core.sync.CollectionRules;
import dev.outpost.core.sync.CollectionsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
  public static final int DEFAULT_MAX_DOC_BYTES = CollectionsConfig.DEFAULT_MAX_DOC_BYTES;
  private static final Pattern LABEL_REF = Pattern.compile("\\$device\\.([A-Za-z0-9_.-]{1,64})");
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
    Map<String, Collection> out = new TreeMap<>();
    CollectionsConfig.parse(root, origin, Set.of()).forEach((name, e) ->
        out.put(name, new Collection(e.rules(), new Subscription(e.where()))));
    return new SyncCollections(out, text);
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
