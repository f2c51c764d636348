package dev.outpost.edge.agent;

import static dev.outpost.edge.agent.AgentKeys.*;

import dev.outpost.core.Priority;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.agent.internal.ConfigFile;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The agent's settings, immutable once built. Values come from, in rising precedence: defaults,
 * one YAML file, environment variables {@code OUTPOST_<KEY>} ({@code outbox.budget-bytes} ↔
 * {@code OUTPOST_OUTBOX_BUDGET_BYTES}), and command-line flags. Loading is strict: an unknown key
 * or a bad value throws {@link ConfigException} naming the key, where the value came from and the
 * allowed values. Loading reads the config file and the token file only: it never opens,
 * creates or changes the data dir or the store. Thread-safe (immutable).
 */
public final class AgentConfig {
  public static final String ENV_PREFIX = "OUTPOST_";
  /** Environment variable naming the config file when {@code --config} is not given. */
  public static final String CONFIG_ENV = "OUTPOST_CONFIG";
  /** {@code OUTPOST_} variables that are not config keys (the launcher's and the file's). */
  static final Set<String> NOT_KEYS =
      Set.of(CONFIG_ENV, "OUTPOST_JDK", "OUTPOST_JVM_DIRS", "OUTPOST_JAVA_OPTS");

  private final Map<String, Object> values;
  private final Map<String, String> sources;
  private final String token;
  private final OutboxConfig outboxConfig;

  private AgentConfig(Map<String, Object> values, Map<String, String> sources, String token,
      OutboxConfig outboxConfig) {
    this.values = Map.copyOf(values);
    this.sources = Map.copyOf(sources);
    this.token = token;
    this.outboxConfig = outboxConfig;
  }

  /** Every key, in documentation order. */
  public static List<ConfigKey<?>> keys() {
    return AgentKeys.all();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Layers defaults, {@code file} (may be null: then {@code OUTPOST_CONFIG} from {@code env} if
   * set), {@code env} and {@code flags} (key → value) and builds; {@code forAgent} also requires
   * the server URL, device id and token (operator commands need only the data dir).
   */
  public static AgentConfig load(
      Path file, Map<String, String> env, Map<String, String> flags, boolean forAgent) {
    Builder b = builder();
    Path configFile = file != null ? file
        : env.get(CONFIG_ENV) != null && !env.get(CONFIG_ENV).isBlank() ? Path.of(env.get(CONFIG_ENV))
        : null;
    if (configFile != null) {
      ConfigFile.read(configFile).forEach((k, v) -> b.set(k, v, "file " + configFile));
    }
    Map<String, String> byEnvName = new HashMap<>();
    for (ConfigKey<?> k : keys()) {
      byEnvName.put(k.envName(), k.name());
    }
    env.entrySet().stream()
        .filter(e -> e.getKey().startsWith(ENV_PREFIX) && !NOT_KEYS.contains(e.getKey()))
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> {
          String key = byEnvName.get(e.getKey());
          if (key == null) {
            String near = KeyNames.nearest(e.getKey(), byEnvName.keySet());
            throw new ConfigException("environment variable " + e.getKey()
                + ": not a config key" + (near == null ? "" : " (did you mean " + near + "?)")
                + "; every key is listed in docs/config.md");
          }
          b.set(key, e.getValue(), "env " + e.getKey());
        });
    flags.forEach((k, v) -> b.set(k, v, "command line"));
    return forAgent ? b.build() : b.buildForStore();
  }

  @SuppressWarnings("unchecked")
  <T> T get(ConfigKey<T> key) {
    return (T) values.get(key.name());
  }

  /** Where a key's value came from: "default", "file F", "env OUTPOST_X", "command line". */
  public String source(String key) {
    return sources.getOrDefault(key, "unset");
  }

  public URI serverUrl() {
    return get(SERVER_URL);
  }

  public String deviceId() {
    return get(DEVICE_ID);
  }

  /** The device token, from {@code token} or read from {@code token-file}; null if neither. */
  public String token() {
    return token;
  }

  public Path dataDir() {
    return get(DATA_DIR);
  }

  public String apiBind() {
    return get(API_BIND);
  }

  public int apiPort() {
    return get(API_PORT);
  }

  public long apiMaxBatchBytes() {
    return get(API_MAX_BATCH_BYTES);
  }

  public int apiMaxBatchRecords() {
    return get(API_MAX_BATCH_RECORDS);
  }

  public Duration drainTimeout() {
    return get(DRAIN_TIMEOUT);
  }

  /** The outbox settings ({@code outbox.*} keys). */
  public OutboxConfig outboxConfig() {
    return outboxConfig;
  }

  public int syncBatchMaxRecords() {
    return get(BATCH_MAX_RECORDS);
  }

  public long syncBatchMaxBytes() {
    return get(BATCH_MAX_BYTES);
  }

  public ContentEncoding syncCompression() {
    return get(COMPRESSION);
  }

  public Duration syncRequestTimeout() {
    return get(REQUEST_TIMEOUT);
  }

  public Duration syncBackoffInitial() {
    return get(BACKOFF_INITIAL);
  }

  public Duration syncBackoffMax() {
    return get(BACKOFF_MAX);
  }

  public Duration syncLeaseTimeout() {
    return get(LEASE_TIMEOUT);
  }

  /** One line per key: {@code key = value  # source}; the token is masked. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (ConfigKey<?> k : keys()) {
      Object v = values.get(k.name());
      String shown = v == null ? "(unset)" : k.secret() ? "********"
          : k.name().startsWith("outbox.ttl.") && Duration.ZERO.equals(v) ? "none" : display(v);
      sb.append(k.name()).append(" = ").append(shown)
          .append("  # ").append(source(k.name())).append('\n');
    }
    return sb.toString();
  }

  private static String display(Object v) {
    if (v instanceof Duration d) {
      return d.isZero() ? "0s" : dev.outpost.edge.agent.internal.ValueType.formatDuration(d);
    }
    if (v instanceof Enum<?> e) {
      return e.name().toLowerCase(java.util.Locale.ROOT);
    }
    return String.valueOf(v);
  }

  @Override
  public String toString() {
    return "AgentConfig{device-id=" + deviceId() + ", server-url=" + serverUrl()
        + ", data-dir=" + dataDir() + ", api=" + apiBind() + ":" + apiPort() + "}";
  }

  /** Collects key → text settings; later sets of a key replace earlier ones. Not thread-safe. */
  public static final class Builder {
    private record Setting(String text, String source) {}

    private final Map<String, Setting> settings = new LinkedHashMap<>();

    private Builder() {}

    /** Sets a key from code (source "code"). */
    public Builder set(String key, String value) {
      return set(key, value, "code");
    }

    /** Sets a key; {@code source} is named in error messages. Unknown keys throw at once. */
    public Builder set(String key, String value, String source) {
      if (keys().stream().noneMatch(k -> k.name().equals(key))) {
        String near = KeyNames.nearest(key, keys().stream().map(ConfigKey::name).toList());
        throw new ConfigException("config key '" + key + "' (from " + source + "): unknown key"
            + (near == null ? "" : " (did you mean '" + near + "'?)")
            + "; every key is listed in docs/config.md");
      }
      settings.put(key, new Setting(value, source));
      return this;
    }

    /** Builds for {@code outpost agent}: server URL, device id and a token are required. */
    public AgentConfig build() {
      return build(true);
    }

    /** Builds for operator commands on a data dir: only {@code data-dir} is required. */
    public AgentConfig buildForStore() {
      return build(false);
    }

    private AgentConfig build(boolean forAgent) {
      Map<String, Object> values = new HashMap<>();
      Map<String, String> sources = new HashMap<>();
      for (ConfigKey<?> k : keys()) {
        Setting s = settings.get(k.name());
        String text = s != null ? s.text() : k.defaultText();
        if (text == null) {
          continue;
        }
        String source = s != null ? s.source() : "default";
        sources.put(k.name(), source);
        try {
          values.put(k.name(), k.parse(text));
        } catch (IllegalArgumentException e) {
          throw invalid(k, e.getMessage());
        }
      }
      require(values, DATA_DIR);
      String token = resolveToken(values, sources, forAgent);
      if (forAgent) {
        require(values, SERVER_URL);
        require(values, DEVICE_ID);
      }
      Duration initial = (Duration) values.get(BACKOFF_INITIAL.name());
      if (((Duration) values.get(BACKOFF_MAX.name())).compareTo(initial) < 0) {
        throw invalidValue(sources, BACKOFF_MAX, "must be at least sync.backoff-initial ("
            + display(initial) + ")", BACKOFF_MAX.allowed());
      }
      OutboxConfig outbox = OutboxSettings.build(values, sources);
      return new AgentConfig(values, sources, token, outbox);
    }

    private ConfigException invalid(ConfigKey<?> k, String reason) {
      Setting s = settings.get(k.name());
      return new ConfigException("config key '" + k.name() + "' (from "
          + (s == null ? "default" : s.source()) + "): " + reason + " (allowed: " + k.allowed() + ")");
    }

    private static void require(Map<String, Object> values, ConfigKey<?> k) {
      if (!values.containsKey(k.name())) {
        throw new ConfigException("config key '" + k.name() + "' is required: set it in the config "
            + "file, as " + k.envName() + ", or as a flag (allowed: " + k.allowed() + ")");
      }
    }

    private static String resolveToken(Map<String, Object> values, Map<String, String> sources,
        boolean forAgent) {
      String inline = (String) values.get(TOKEN.name());
      Path file = (Path) values.get(TOKEN_FILE.name());
      if (inline != null && file != null) {
        throw new ConfigException("config keys 'token' (from " + sources.get(TOKEN.name())
            + ") and 'token-file' (from " + sources.get(TOKEN_FILE.name())
            + ") are both set: set only one");
      }
      if (inline != null) {
        return inline;
      }
      if (file == null) {
        if (forAgent) {
          throw new ConfigException("config key 'token' or 'token-file' is required: the device "
              + "token from `outpost device add` (" + TOKEN.envName() + " or "
              + TOKEN_FILE.envName() + " in the environment)");
        }
        return null;
      }
      String text;
      try {
        text = Files.readString(file).trim();
      } catch (IOException e) {
        throw new ConfigException("config key 'token-file' (from " + sources.get(TOKEN_FILE.name())
            + "): cannot read " + file + ": " + e, e);
      }
      try {
        return TOKEN.parse(text);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("config key 'token-file' (from " + sources.get(TOKEN_FILE.name())
            + "): the token in " + file + " is not valid (allowed: " + TOKEN.allowed() + ")");
      }
    }
  }

  static ConfigException invalidValue(Map<String, String> sources, ConfigKey<?> k, String reason,
      String allowed) {
    return new ConfigException("config key '" + k.name() + "' (from "
        + sources.getOrDefault(k.name(), "default") + "): " + reason + " (allowed: " + allowed + ")");
  }

  /** Maps {@code outbox.*} values onto {@link OutboxConfig}, naming the key on any refusal. */
  private static final class OutboxSettings {
    static OutboxConfig build(Map<String, Object> v, Map<String, String> sources) {
      double low = (Double) v.get(LOW_WATERMARK.name());
      double high = (Double) v.get(HIGH_WATERMARK.name());
      if (!(low < high)) {
        throw invalidValue(sources, LOW_WATERMARK, "must be below outbox.high-watermark (" + high + ")",
            LOW_WATERMARK.allowed());
      }
      long maxPayload = (Long) v.get(MAX_PAYLOAD.name());
      OutboxConfig.Builder b = OutboxConfig.builder()
          .budgetBytes((Long) v.get(BUDGET_BYTES.name()))
          .watermarks(low, high)
          .evictLowWhenFull((Boolean) v.get(EVICT_LOW.name()))
          .maxPayloadBytes((int) maxPayload)
          .ackedRetention((Duration) v.get(ACKED_RETENTION.name()))
          .groupCommitMaxWait((Duration) v.get(GROUP_COMMIT_WAIT.name()))
          .groupCommitMaxRecords((Integer) v.get(GROUP_COMMIT_RECORDS.name()))
          .housekeepingInterval((Duration) v.get(HOUSEKEEPING.name()));
      for (Priority p : Priority.values()) {
        Duration ttl = (Duration) v.get(TTL.get(p).name());
        b.ttl(p, ttl.isZero() ? null : ttl);
      }
      return b.build();
    }
  }
}
