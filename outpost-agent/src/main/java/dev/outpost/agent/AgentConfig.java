package dev.outpost.agent;

import static dev.outpost.agent.AgentKeys.*;

import dev.outpost.core.LinkStateMachine;
import dev.outpost.core.Priority;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.sync.SyncConfig;
import dev.outpost.agent.internal.ConfigFile;
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
  private final SyncConfig syncConfig;

  private AgentConfig(Map<String, Object> values, Map<String, String> sources, String token,
      OutboxConfig outboxConfig, SyncConfig syncConfig) {
    this.values = Map.copyOf(values);
    this.sources = Map.copyOf(sources);
    this.token = token;
    this.outboxConfig = outboxConfig;
    this.syncConfig = syncConfig;
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

  /** The sync config file of the collections this device replicates; null: no replica. */
  public Path replicaConfig() {
    return get(REPLICA_CONFIG);
  }

  public Duration drainTimeout() {
    return get(DRAIN_TIMEOUT);
  }

  /** The outbox settings ({@code outbox.*} keys). */
  public OutboxConfig outboxConfig() {
    return outboxConfig;
  }

  /** The sync engine settings ({@code sync.*} keys); null when built for operator commands. */
  public SyncConfig syncConfig() {
    return syncConfig;
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
      return d.isZero() ? "0s" : dev.outpost.agent.ValueType.formatDuration(d);
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
      requireOrder(values, sources, RETRY_INITIAL, RETRY_CAP, false);
      requireOrder(values, sources, HEARTBEAT_OFFLINE_MIN, HEARTBEAT_OFFLINE_MAX, false);
      requireOrder(values, sources, REQUEST_TIMEOUT, LEASE_TIMEOUT, true);
      OutboxConfig outbox = OutboxSettings.build(values, sources);
      SyncConfig sync = forAgent ? SyncSettings.build(values, token) : null;
      return new AgentConfig(values, sources, token, outbox, sync);
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
      if (file == null || !forAgent) {
        // Operator commands never need the token: they do not read a token file they may not own.
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

  /** {@code larger} must be at least (or, if {@code strict}, above) {@code smaller}. */
  private static void requireOrder(Map<String, Object> values, Map<String, String> sources,
      ConfigKey<Duration> smaller, ConfigKey<Duration> larger, boolean strict) {
    Duration small = (Duration) values.get(smaller.name());
    int cmp = ((Duration) values.get(larger.name())).compareTo(small);
    if (cmp < 0 || (strict && cmp == 0)) {
      throw invalidValue(sources, larger, "must be " + (strict ? "longer than " : "at least ")
          + smaller.name() + " (" + display(small) + ")", larger.allowed());
    }
  }

  /** Maps {@code sync.*} values onto {@link SyncConfig}. */
  private static final class SyncSettings {
    static SyncConfig build(Map<String, Object> v, String token) {
      try {
        return SyncConfig.builder((URI) v.get(SERVER_URL.name()), (String) v.get(DEVICE_ID.name()), token)
            .maxBatchRecords((Integer) v.get(BATCH_MAX_RECORDS.name()))
            .maxBatchBytes((Long) v.get(BATCH_MAX_BYTES.name()))
            .linger((Duration) v.get(LINGER.name()))
            .maxInFlight((Integer) v.get(MAX_IN_FLIGHT.name()))
            .degradedBatchRecords((Integer) v.get(DEGRADED_BATCH_RECORDS.name()))
            .batchGrowAfter((Integer) v.get(BATCH_GROW_AFTER.name()))
            .contentType(v.get(WIRE_FORMAT.name()) == AgentKeys.WireFormat.JSON ? WireCodec.JSON : WireCodec.BINARY)
            .contentEncoding((ContentEncoding) v.get(COMPRESSION.name()))
            .connectTimeout((Duration) v.get(CONNECT_TIMEOUT.name()))
            .requestTimeout((Duration) v.get(REQUEST_TIMEOUT.name()))
            .leaseTimeout((Duration) v.get(LEASE_TIMEOUT.name()))
            .retry((Duration) v.get(RETRY_INITIAL.name()), (Duration) v.get(RETRY_CAP.name()))
            .authRetryInterval((Duration) v.get(AUTH_RETRY.name()))
            .heartbeat((Duration) v.get(HEARTBEAT_ONLINE.name()), (Duration) v.get(HEARTBEAT_OFFLINE_MIN.name()),
                (Duration) v.get(HEARTBEAT_OFFLINE_MAX.name()))
            .heartbeatDegraded((Duration) v.get(HEARTBEAT_DEGRADED.name()))
            .linkPolicy(LinkStateMachine.Policy.defaults().withRecovery(
                (Duration) v.get(LINK_SAMPLE_MAX_AGE.name()), (Integer) v.get(LINK_RECOVERY_SAMPLES.name())))
            .healthReportInterval((Duration) v.get(HEALTH_REPORT.name()))
            .idlePoll((Duration) v.get(IDLE_POLL.name()))
            .build();
      } catch (IllegalArgumentException e) {
        throw new ConfigException("config: the sync.* settings are not consistent: " + e.getMessage(), e);
      }
    }
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
