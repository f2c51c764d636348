package dev.outpost.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.Priority;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.sync.SyncConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
  @TempDir Path tmp;

  private Map<String, String> required() {
    return Map.of(
        "server-url", "http://127.0.0.1:8080",
        "device-id", "dev-1",
        "token", "secret-token-123",
        "data-dir", tmp.resolve("data").toString());
  }

  private Path file(String yaml) throws IOException {
    Path f = tmp.resolve("agent.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void defaultsMatchTheOutboxDefaultsAndTheDocumentedOnes() {
    AgentConfig c = AgentConfig.load(null, Map.of(), required(), true);
    assertThat(c.apiBind()).isEqualTo("127.0.0.1");
    assertThat(c.apiPort()).isEqualTo(7411);
    assertThat(c.drainTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.syncConfig().transport().contentEncoding()).isEqualTo(ContentEncoding.ZSTD);
    assertThat(c.syncConfig().toString())
        .isEqualTo(SyncConfig.builder(c.serverUrl(), "dev-1", "secret-token-123").build().toString());
    assertThat(c.syncConfig().leaseTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.outboxConfig().toString()).isEqualTo(OutboxConfig.defaults().toString());
    assertThat(c.source("outbox.budget-bytes")).isEqualTo("default");
    assertThat(c.source("device-id")).isEqualTo("command line");
  }

  @Test
  void flagsBeatEnvironmentBeatFileBeatDefaults() throws IOException {
    Path f = file("""
        outbox:
          budget-bytes: 100MiB
          max-payload-bytes: 64KiB
        sync.batch-max-records: 50
        api:
          port: 9001
        """);
    Map<String, String> env = Map.of(
        "OUTPOST_OUTBOX_BUDGET_BYTES", "200MiB",
        "OUTPOST_SYNC_BATCH_MAX_RECORDS", "60",
        "PATH", "/usr/bin");
    Map<String, String> flags = new HashMap<>(required());
    flags.put("outbox.budget-bytes", "300MiB");

    AgentConfig c = AgentConfig.load(f, env, flags, true);

    assertThat(c.outboxConfig().budgetBytes()).isEqualTo(300L << 20);
    assertThat(c.source("outbox.budget-bytes")).isEqualTo("command line");
    assertThat(c.syncConfig().maxBatchRecords()).isEqualTo(60);
    assertThat(c.source("sync.batch-max-records")).isEqualTo("env OUTPOST_SYNC_BATCH_MAX_RECORDS");
    assertThat(c.outboxConfig().maxPayloadBytes()).isEqualTo(64 * 1024);
    assertThat(c.apiPort()).isEqualTo(9001);
    assertThat(c.source("api.port")).isEqualTo("file " + f);
    assertThat(c.outboxConfig().lowWatermark()).isEqualTo(0.8);
  }

  @Test
  void theConfigFileCanBeNamedByOutpostConfig() throws IOException {
    Path f = file("outbox.ttl.low: 2h\noutbox.ttl.normal: none\n");
    AgentConfig c = AgentConfig.load(null, Map.of("OUTPOST_CONFIG", f.toString()), required(), true);
    assertThat(c.outboxConfig().ttl(Priority.LOW)).isEqualTo(Duration.ofHours(2));
    assertThat(c.outboxConfig().ttl(Priority.NORMAL)).isNull();
  }

  @Test
  void everyKeyHasAUniqueEnvironmentVariableAndADefaultUnlessRequired() {
    Set<String> envNames = AgentConfig.keys().stream().map(ConfigKey::envName).collect(Collectors.toSet());
    assertThat(envNames).hasSize(AgentConfig.keys().size());
    assertThat(envNames).doesNotContainAnyElementsOf(AgentConfig.NOT_KEYS);
    assertThat(AgentConfig.keys())
        .filteredOn(k -> k.defaultText() == null)
        .extracting(ConfigKey::name)
        .containsExactlyInAnyOrder("server-url", "device-id", "token", "token-file", "data-dir", "replica.config");
  }

  @Test
  void unknownKeysFailWithAHint() throws IOException {
    Path f = file("outbox:\n  budget: 1GiB\n");
    assertThatThrownBy(() -> AgentConfig.load(f, Map.of(), required(), true))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config key 'outbox.budget' (from file " + f + "): unknown key")
        .hasMessageContaining("did you mean 'outbox.budget-bytes'?");
    assertThatThrownBy(() -> AgentConfig.load(null, Map.of("OUTPOST_BUDGET_BYTES", "1GiB"), required(), true))
        .hasMessageContaining("environment variable OUTPOST_BUDGET_BYTES: not a config key")
        .hasMessageContaining("OUTPOST_OUTBOX_BUDGET_BYTES");
  }

  @Test
  void launcherVariablesAreNotConfigKeys() {
    Map<String, String> env = Map.of("OUTPOST_JAVA_OPTS", "-Xmx64m", "OUTPOST_JDK", "/opt/jdk");
    assertThat(AgentConfig.load(null, env, required(), true).deviceId()).isEqualTo("dev-1");
  }

  @Test
  void badValuesNameTheKeyTheSourceAndTheAllowedValues() {
    Map<String, String> env = Map.of("OUTPOST_OUTBOX_BUDGET_BYTES", "5XB");
    assertThatThrownBy(() -> AgentConfig.load(null, env, required(), true))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config key 'outbox.budget-bytes' (from env OUTPOST_OUTBOX_BUDGET_BYTES): '5XB' is not a size")
        .hasMessageContaining("(allowed: a size from 1MiB to 1024GiB");
    assertThatThrownBy(() -> load("sync.compression", "brotli"))
        .hasMessageContaining("'sync.compression'")
        .hasMessageContaining("allowed: one of identity, gzip, zstd");
    assertThatThrownBy(() -> load("outbox.evict-low-when-full", "yes"))
        .hasMessageContaining("allowed: true or false");
    assertThatThrownBy(() -> load("api.port", "70000"))
        .hasMessageContaining("'70000' is out of range (allowed: a whole number from 0 to 65535)");
    assertThatThrownBy(() -> load("shutdown.drain-timeout", "5"))
        .hasMessageContaining("'5' is not a duration");
    assertThatThrownBy(() -> load("server-url", "ftp://x"))
        .hasMessageContaining("config key 'server-url'");
  }

  @Test
  void crossKeyRulesNameTheKey() {
    assertThatThrownBy(() -> load("outbox.low-watermark", "0.95"))
        .hasMessageContaining("config key 'outbox.low-watermark'")
        .hasMessageContaining("must be below outbox.high-watermark (0.9)");
    assertThatThrownBy(() -> load("sync.retry-cap", "100ms"))
        .hasMessageContaining("config key 'sync.retry-cap'")
        .hasMessageContaining("at least sync.retry-initial (200ms)");
    assertThatThrownBy(() -> load("sync.lease-timeout", "30s"))
        .hasMessageContaining("config key 'sync.lease-timeout' (from command line): must be longer than sync.request-timeout (30s)");
  }

  @Test
  void requiredKeysAreNamed() {
    Map<String, String> flags = new HashMap<>(required());
    flags.remove("server-url");
    assertThatThrownBy(() -> AgentConfig.load(null, Map.of(), flags, true))
        .hasMessageContaining("config key 'server-url' is required")
        .hasMessageContaining("OUTPOST_SERVER_URL");
    flags.put("server-url", "http://127.0.0.1:1");
    flags.remove("token");
    assertThatThrownBy(() -> AgentConfig.load(null, Map.of(), flags, true))
        .hasMessageContaining("'token' or 'token-file' is required");
    // Operator commands need only the data dir.
    AgentConfig store = AgentConfig.load(null, Map.of(), Map.of("data-dir", tmp.toString()), false);
    assertThat(store.dataDir()).isEqualTo(tmp);
    assertThat(store.token()).isNull();
    AgentConfig noTokenRead = AgentConfig.load(null, Map.of("OUTPOST_TOKEN_FILE", tmp.resolve("not-mine").toString()),
        Map.of("data-dir", tmp.toString()), false);
    assertThat(noTokenRead.token()).isNull();
  }

  @Test
  void tokenFileIsReadAndTrimmedAndExclusiveWithToken() throws IOException {
    Path tokenFile = tmp.resolve("token");
    Files.writeString(tokenFile, "  from-a-file-123\n");
    Map<String, String> flags = new HashMap<>(required());
    flags.remove("token");
    flags.put("token-file", tokenFile.toString());
    AgentConfig c = AgentConfig.load(null, Map.of(), flags, true);
    assertThat(c.token()).isEqualTo("from-a-file-123");
    assertThat(c.describe()).doesNotContain("from-a-file-123");

    assertThatThrownBy(() -> AgentConfig.load(null, Map.of("OUTPOST_TOKEN", "abcdefghij"), flags, true))
        .hasMessageContaining("'token' (from env OUTPOST_TOKEN) and 'token-file' (from command line) are both set");
    flags.put("token-file", tmp.resolve("missing").toString());
    assertThatThrownBy(() -> AgentConfig.load(null, Map.of(), flags, true))
        .hasMessageContaining("config key 'token-file' (from command line): cannot read");
  }

  @Test
  void describeMasksTheTokenAndShowsSources() {
    String d = AgentConfig.load(null, Map.of(), required(), true).describe();
    assertThat(d).doesNotContain("secret-token-123").contains("token = ********  # command line");
    assertThat(d).contains("outbox.ttl.low = none  # default").contains("token-file = (unset)  # unset");
  }

  @Test
  void loadingNeverCreatesOrTouchesTheDataDir() {
    Path dataDir = tmp.resolve("never-created");
    Map<String, String> flags = new HashMap<>(required());
    flags.put("data-dir", dataDir.toString());
    AgentConfig.load(null, Map.of(), flags, true);
    flags.put("outbox.budget-bytes", "bad");
    assertThatThrownBy(() -> AgentConfig.load(null, Map.of(), flags, true)).isInstanceOf(ConfigException.class);
    assertThat(dataDir).doesNotExist();
  }

  @Test
  void yamlErrorsNameTheFileAndLine() throws IOException {
    Path f = file("outbox:\n  budget-bytes: [1, 2]\n");
    assertThatThrownBy(() -> AgentConfig.load(f, Map.of(), required(), true))
        .hasMessageContaining("config key 'outbox.budget-bytes' (from file " + f + "): expected a single value");
    Path g = file("a: b\n  c: : d\n");
    assertThatThrownBy(() -> AgentConfig.load(g, Map.of(), required(), true))
        .hasMessageContaining("config file " + g + ": not valid YAML at line");
    Path h = file("device-id: a\ndevice-id: b\n");
    assertThatThrownBy(() -> AgentConfig.load(h, Map.of(), required(), true))
        .hasMessageContaining("config file " + h).hasMessageContaining("device-id");
    assertThatThrownBy(() -> AgentConfig.load(tmp.resolve("nope.yaml"), Map.of(), required(), true))
        .hasMessageContaining("nope.yaml: no such file");
  }

  @Test
  void docsConfigMdHoldsTheGeneratedKeyTable() throws IOException {
    Path doc = Path.of("..", "docs", "config.md");
    assertThat(doc).exists();
    assertThat(Files.readString(doc))
        .as("docs/config.md is stale: regenerate the table with ConfigReference.main")
        .contains(ConfigReference.markdownTable());
  }

  private AgentConfig load(String key, String value) {
    Map<String, String> flags = new HashMap<>(required());
    flags.put(key, value);
    return AgentConfig.load(null, Map.of(), flags, true);
  }
}
