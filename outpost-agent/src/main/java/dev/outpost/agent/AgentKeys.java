package dev.outpost.agent;

import static dev.outpost.agent.ValueType.bool;
import static dev.outpost.agent.ValueType.duration;
import static dev.outpost.agent.ValueType.durationOrNone;
import static dev.outpost.agent.ValueType.fraction;
import static dev.outpost.agent.ValueType.integer;
import static dev.outpost.agent.ValueType.path;
import static dev.outpost.agent.ValueType.size;
import static dev.outpost.agent.ValueType.text;

import dev.outpost.core.Priority;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.agent.ValueType;
import dev.outpost.edge.sync.SyncConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The catalogue of agent configuration keys, in documentation order. Every key has a default
 * here or is required; docs/config.md lists them all (a test checks it).
 */
final class AgentKeys {
  private static final List<ConfigKey<?>> ALL = new ArrayList<>();

  // ---- the agent -------------------------------------------------------------------------
  static final ConfigKey<URI> SERVER_URL = key("server-url", ValueType.httpUrl(), null,
      "Base URL of the Outpost server. Required for `outpost agent`.");
  static final ConfigKey<String> DEVICE_ID = key("device-id",
      text("[A-Za-z0-9._:-]{1,128}", "1 to 128 characters from A-Z a-z 0-9 . _ : -"), null,
      "This device's id, as registered with `outpost device add`. Required for `outpost agent`.");
  static final ConfigKey<String> TOKEN = secret("token",
      text("\\S{8,4096}", "8 to 4096 characters without spaces"),
      "The device token. Set this or `token-file`, not both. Prefer `token-file` or the "
          + "environment: a token in a flag shows up in `ps`.");
  static final ConfigKey<Path> TOKEN_FILE = key("token-file", path(), null,
      "A file whose content (trimmed) is the device token, e.g. a mounted secret.");
  static final ConfigKey<Path> DATA_DIR = key("data-dir", path(), null,
      "Directory of the outbox store; created if missing. Required.");
  static final ConfigKey<String> API_BIND = key("api.bind",
      text("[A-Za-z0-9.:\\[\\]%-]{1,255}", "an IP address or host name"), "127.0.0.1",
      "Address the local HTTP API listens on. Keep it on loopback: the API has no auth.");
  static final ConfigKey<Integer> API_PORT = key("api.port", integer(0, 65535), "7411",
      "Port of the local HTTP API; 0 picks a free port (logged at start).");
  static final ConfigKey<Long> API_MAX_BATCH_BYTES = key("api.max-batch-bytes",
      size(1024, 1L << 30), "16MiB",
      "Largest body a batch publish (`POST /v1/publish`, NDJSON) may have (413 above it).");
  static final ConfigKey<Integer> API_MAX_BATCH_RECORDS = key("api.max-batch-records",
      integer(1, 1_000_000), "10000", "Most records one batch publish may hold (413 above it).");
  static final ConfigKey<Path> REPLICA_CONFIG = key("replica.config", path(), null,
      "A sync config file (the server's `--sync-config` shape; a collection may add `priority: high`) naming"
          + " the collections this device keeps a replica of, served at `/v1/docs`. Unset: no replica.");
  static final ConfigKey<Duration> DRAIN_TIMEOUT = key("shutdown.drain-timeout",
      duration(Duration.ZERO, Duration.ofMinutes(5)), "5s",
      "On SIGTERM, how long in-flight uplink batches may take to finish before the store closes.");

  // ---- the outbox (OutboxConfig) -----------------------------------------------------------
  static final ConfigKey<Long> BUDGET_BYTES = key("outbox.budget-bytes",
      size(1L << 20, 1L << 40), "500MiB", "Disk the store may use (records, indexes, dead letters).");
  static final ConfigKey<Double> HIGH_WATERMARK = key("outbox.high-watermark", fraction(), "0.9",
      "Share of the budget at which LOW eviction starts. Must be above `outbox.low-watermark`.");
  static final ConfigKey<Double> LOW_WATERMARK = key("outbox.low-watermark", fraction(), "0.8",
      "Share of the budget LOW eviction frees down to.");
  static final ConfigKey<Boolean> EVICT_LOW = key("outbox.evict-low-when-full", bool(), "true",
      "Whether a full store evicts the oldest LOW records to make room (always counted). "
          + "CRITICAL and HIGH are never evicted.");
  static final ConfigKey<Long> MAX_PAYLOAD = key("outbox.max-payload-bytes",
      size(1, 64L << 20), "1MiB", "Largest payload one record may carry (413 above it).");
  static final Map<Priority, ConfigKey<Duration>> TTL = ttlKeys();
  static final ConfigKey<Duration> ACKED_RETENTION = key("outbox.acked-retention",
      duration(Duration.ZERO, Duration.ofDays(365)), "0s",
      "How long records the server acknowledged are kept before deletion (0s: deleted at ack).");
  static final ConfigKey<Duration> GROUP_COMMIT_WAIT = key("outbox.group-commit-max-wait",
      duration(Duration.ZERO, Duration.ofMillis(50)), "2ms",
      "Longest an append waits for others to share its fsync'd commit.");
  static final ConfigKey<Integer> GROUP_COMMIT_RECORDS = key("outbox.group-commit-max-records",
      integer(1, 1_000_000), "8192", "Most records one group commit takes.");
  static final ConfigKey<Duration> HOUSEKEEPING = key("outbox.housekeeping-interval",
      duration(Duration.ofMillis(10), Duration.ofHours(1)), "5s",
      "How often expiry, lease timeouts and space reclaim run.");

  // ---- the sync engine (SyncConfig) -----------------------------------------------------------
  /** How uplink batches are encoded on the wire. */
  enum WireFormat { BINARY, JSON }

  static final ConfigKey<Integer> BATCH_MAX_RECORDS = key("sync.batch-max-records",
      integer(1, 100_000), "10000", "Most records in one uplink batch on an ONLINE link.");
  static final ConfigKey<Long> BATCH_MAX_BYTES = key("sync.batch-max-bytes",
      size(1024, 64L << 20), "4MiB", "Most payload bytes in one uplink batch (the first record always goes).");
  static final ConfigKey<Duration> LINGER = key("sync.linger",
      duration(Duration.ZERO, Duration.ofMinutes(1)), "100ms",
      "Longest the oldest pending record waits for a fuller batch (CRITICAL goes at once).");
  static final ConfigKey<Integer> MAX_IN_FLIGHT = key("sync.max-in-flight", integer(1, 64), "4",
      "Batches in flight at once (two of the same topic and priority only when the server orders them, see docs/sync.md).");
  static final ConfigKey<Integer> DEGRADED_BATCH_RECORDS = key("sync.degraded-batch-records",
      integer(1, 100_000), "50", "Batch size while the link is DEGRADED or TRANSITIONING (CRITICAL and HIGH only).");
  static final ConfigKey<Integer> BATCH_GROW_AFTER = key("sync.batch-grow-after", integer(1, 100_000), "8",
      "After the server refused a batch as too large (413), batches are smaller; after this many "
          + "successful ones the size doubles again, up to `sync.batch-max-records`.");
  static final ConfigKey<WireFormat> WIRE_FORMAT = key("sync.wire-format",
      ValueType.oneOf(WireFormat.class), "binary", "Uplink body format: compact binary, or JSON (readable).");
  static final ConfigKey<ContentEncoding> COMPRESSION = key("sync.compression",
      ValueType.oneOf(ContentEncoding.class), "zstd",
      "How uplink batches are compressed; zstd falls back to gzip, with a warning, where its native library cannot load.");
  static final ConfigKey<Duration> CONNECT_TIMEOUT = key("sync.connect-timeout",
      duration(Duration.ofMillis(100), Duration.ofMinutes(5)), "5s", "TCP/TLS connect timeout.");
  static final ConfigKey<Duration> REQUEST_TIMEOUT = key("sync.request-timeout",
      duration(Duration.ofMillis(100), Duration.ofMinutes(10)), "30s",
      "A request without a full answer after this counts as failed; its records are retried.");
  static final ConfigKey<Duration> LEASE_TIMEOUT = key("sync.lease-timeout",
      duration(Duration.ofSeconds(1), Duration.ofHours(1)), "2m",
      "Records of a batch that got no answer return to pending after this. Must be longer than "
          + "`sync.request-timeout`.");
  static final ConfigKey<Duration> RETRY_INITIAL = key("sync.retry-initial",
      duration(Duration.ofMillis(1), Duration.ofMinutes(10)), "200ms",
      "First retry delay after a failed upload; doubles per failure, full jitter.");
  static final ConfigKey<Duration> RETRY_CAP = key("sync.retry-cap",
      duration(Duration.ofMillis(1), Duration.ofHours(1)), "30s",
      "Longest retry delay (before jitter). Must be at least `sync.retry-initial`.");
  static final ConfigKey<Duration> AUTH_RETRY = key("sync.auth-retry-interval",
      duration(Duration.ofSeconds(1), Duration.ofHours(24)), "1m",
      "While the server refuses the token (401/403), one try per this interval; nothing is dead-lettered.");
  static final ConfigKey<Duration> HEARTBEAT_ONLINE = key("sync.heartbeat-online",
      duration(Duration.ofMillis(100), Duration.ofHours(1)), "10s", "Heartbeat interval while the link is up and idle.");
  static final ConfigKey<Duration> HEARTBEAT_DEGRADED = key("sync.heartbeat-degraded",
      duration(Duration.ofMillis(100), Duration.ofHours(1)), "1s",
      "Heartbeat interval while the link is DEGRADED; these probes bring it back to ONLINE.");
  static final ConfigKey<Duration> HEARTBEAT_OFFLINE_MIN = key("sync.heartbeat-offline-min",
      duration(Duration.ofMillis(100), Duration.ofHours(1)), "1s", "First probe interval once the link is down; doubles up to the max.");
  static final ConfigKey<Duration> HEARTBEAT_OFFLINE_MAX = key("sync.heartbeat-offline-max",
      duration(Duration.ofMillis(100), Duration.ofHours(1)), "1m",
      "Longest probe interval while the link is down. Must be at least `sync.heartbeat-offline-min`.");
  static final ConfigKey<Duration> LINK_SAMPLE_MAX_AGE = key("sync.link-sample-max-age",
      duration(Duration.ofSeconds(1), Duration.ofHours(1)), "30s",
      "Request outcomes older than this no longer count when judging the link DEGRADED.");
  static final ConfigKey<Integer> LINK_RECOVERY_SAMPLES = key("sync.link-recovery-samples",
      integer(1, 100), "3",
      "Fast answers in a row (heartbeats or small requests) that bring a DEGRADED link back to ONLINE.");
  static final ConfigKey<Duration> HEALTH_REPORT = key("sync.health-report-interval",
      duration(Duration.ofSeconds(1), Duration.ofHours(24)), "30s", "How often connection health is reported to the server.");
  static final ConfigKey<Duration> IDLE_POLL = key("sync.idle-poll",
      duration(Duration.ofMillis(1), Duration.ofMinutes(1)), "50ms",
      "How often an idle uplink looks for new records (a publish also wakes it).");

  private AgentKeys() {}

  static List<ConfigKey<?>> all() {
    return Collections.unmodifiableList(ALL);
  }

  private static Map<Priority, ConfigKey<Duration>> ttlKeys() {
    Map<Priority, ConfigKey<Duration>> m = new EnumMap<>(Priority.class);
    for (Priority p : Priority.values()) {
      m.put(p, key("outbox.ttl." + p.name().toLowerCase(Locale.ROOT),
          durationOrNone(Duration.ofSeconds(1), Duration.ofDays(3650)), "none",
          "How long a " + p + " record may wait for delivery before it expires (counted); "
              + "none: never."));
    }
    return Map.copyOf(m);
  }

  private static <T> ConfigKey<T> key(String name, ValueType<T> type, String dflt, String doc) {
    ConfigKey<T> k = new ConfigKey<>(name, type, dflt, doc, false);
    ALL.add(k);
    return k;
  }

  private static <T> ConfigKey<T> secret(String name, ValueType<T> type, String doc) {
    ConfigKey<T> k = new ConfigKey<>(name, type, null, doc, true);
    ALL.add(k);
    return k;
  }
}
