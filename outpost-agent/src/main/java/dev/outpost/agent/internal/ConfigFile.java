package dev.outpost.agent.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.outpost.agent.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the agent's YAML config file into flat dotted keys: nested maps and dotted names are
 * equivalent ({@code outbox: {budget-bytes: 1GiB}} is {@code outbox.budget-bytes: 1GiB}).
 * Values must be scalars; {@code null}/{@code ~} means "not set here". Stateless.
 */
public final class ConfigFile {
  private static final ObjectMapper YAML = new ObjectMapper(
      YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

  private ConfigFile() {}

  /** Flat key → value text, in file order. Throws {@link ConfigException} naming the file. */
  public static Map<String, String> read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + ": no such file");
    } catch (IOException e) {
      throw new ConfigException("config file " + file + ": cannot read it: " + e.getMessage(), e);
    }
    return parse(text, file.toString());
  }

  /** Parses YAML text; {@code origin} names it in messages. */
  public static Map<String, String> parse(String text, String origin) {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
      throw new ConfigException(
          "config file " + origin + ": not valid YAML" + where + ": " + e.getOriginalMessage(), e);
    }
    Map<String, String> out = new LinkedHashMap<>();
    if (root == null || root.isMissingNode() || root.isNull()) {
      return out; // an empty file sets nothing
    }
    if (!root.isObject()) {
      throw new ConfigException(
          "config file " + origin + ": expected a map of keys at the top level, found "
              + root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
    }
    flatten("", root, out, origin);
    return out;
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> out, String origin) {
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String key = prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey();
      JsonNode v = f.getValue();
      if (v.isObject()) {
        flatten(key, v, out, origin);
      } else if (v.isArray()) {
        throw new ConfigException(
            "config key '" + key + "' (from file " + origin + "): expected a single value, found a list");
      } else if (!v.isNull()) {
        if (out.put(key, v.asText()) != null) {
          throw new ConfigException(
              "config key '" + key + "' (from file " + origin + "): set twice in the file");
        }
      }
    }
  }
}
