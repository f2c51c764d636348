package dev.outpost.edge.agent;

import static dev.outpost.edge.agent.internal.ValueType.bool;
import static dev.outpost.edge.agent.internal.ValueType.duration;
import static dev.outpost.edge.agent.internal.ValueType.durationOrNone;
import static dev.outpost.edge.agent.internal.ValueType.fraction;
import static dev.outpost.edge.agent.internal.ValueType.integer;
import static dev.outpost.edge.agent.internal.ValueType.path;
import static dev.outpost.edge.agent.internal.ValueType.size;
import static dev.outpost.edge.agent.internal.ValueType.text;

import dev.outpost.core.Priority;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.edge.agent.internal.ValueType;
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
      "Largest body `POST /v1/publish-batch` accepts (413 above it).");
  static final ConfigKey<Integer> API_MAX_BATCH_RECORDS = key("api.max-batch-records",
      integer(1, 1_000_000), "10000", "Most records one batch publish may hold (413 above it).");
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

  // ---- the sync engine ------------------------------------------------------------------------
  // PROVISIONAL: mirrors what SyncConfig (branch sync) is expected to hold. Align names and
  // defaults with SyncConfig once it is merged.
  static final ConfigKey<Integer> BATCH_MAX_RECORDS = key("sync.batch-max-records",
      integer(1, 100_000), "500", "Most records in one uplink batch.");
  static final ConfigKey<Long> BATCH_MAX_BYTES = key("sync.batch-max-bytes",
      size(1024, 64L << 20), "1MiB", "About how many payload bytes one uplink batch carries.");
  static final ConfigKey<ContentEncoding> COMPRESSION = key("sync.compression",
      ValueType.oneOf(ContentEncoding.class), "zstd", "How uplink batches are compressed.");
  static final ConfigKey<Duration> REQUEST_TIMEOUT = key("sync.request-timeout",
      duration(Duration.ofMillis(100), Duration.ofMinutes(10)), "30s",
      "How long one upload may take before it counts as failed and is retried.");
  static final ConfigKey<Duration> BACKOFF_INITIAL = key("sync.backoff-initial",
      duration(Duration.ofMillis(1), Duration.ofMinutes(10)), "500ms",
      "First retry delay after a failed upload (exponential, full jitter).");
  static final ConfigKey<Duration> BACKOFF_MAX = key("sync.backoff-max",
      duration(Duration.ofMillis(1), Duration.ofHours(1)), "1m",
      "Longest retry delay. Must be at least `sync.backoff-initial`.");
  static final ConfigKey<Duration> LEASE_TIMEOUT = key("sync.lease-timeout",
      duration(Duration.ofSeconds(1), Duration.ofHours(1)), "1m",
      "After this, records of a batch that got no answer return to pending.");

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
