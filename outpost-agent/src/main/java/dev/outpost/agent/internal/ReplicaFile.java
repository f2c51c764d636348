package dev.outpost.agent.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.outpost.agent.ConfigException;
import dev.outpost.core.Priority;
import dev.outpost.core.sync.CollectionsConfig;
import dev.outpost.edge.ReplicaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the collections a device replicates from a sync config file (the server's
 * {@code --sync-config} shape, read by the same {@link CollectionsConfig}); a collection may add
 * {@code priority} (of its ops in the outbox; default high). Bad input is a
 * {@link ConfigException} naming the file and the key.
 */
public final class ReplicaFile {
  private static final ObjectMapper YAML = new ObjectMapper(
      YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

  private ReplicaFile() {}

  public static ReplicaConfig read(Path file, String device) {
    JsonNode root;
    try {
      root = YAML.readTree(Files.readString(file));
    } catch (JsonProcessingException e) {
      throw new ConfigException("replica.config " + file + ": not valid YAML: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException("replica.config " + file + ": cannot read it: " + e.getMessage());
    }
    Map<String, CollectionsConfig.Entry> entries;
    try {
      entries = CollectionsConfig.parse(root, "replica.config " + file, Set.of("priority"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    ReplicaConfig.Builder b = ReplicaConfig.builder(device);
    entries.forEach((name, e) -> {
      JsonNode p = e.extra().get("priority");
      Priority priority = Priority.HIGH;
      if (p != null && !p.isNull()) {
        try {
          priority = Priority.valueOf(p.asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException bad) {
          throw new ConfigException("replica.config " + file + ": collections." + name + ".priority: '" + p.asText()
              + "' is not a priority (allowed: critical, high, normal, low)");
        }
      }
      b.collection(e.rules(), priority);
    });
    return b.build();
  }
}
