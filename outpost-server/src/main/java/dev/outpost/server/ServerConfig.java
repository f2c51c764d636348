package dev.outpost.server;

import dev.outpost.core.wire.RecordLimits;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link OutpostServer} runs: immutable, built by {@link #builder()}, which validates every
 * value and names the one that is wrong. Defaults suit a newcomer: embedded SQLite under the data
 * dir, loopback only, generous but bounded limits.
 */
public final class ServerConfig {
  private final String host;
  private final int port;
  private final Path dataDir;
  private final StoreKind store;
  private final String pgUrl;
  private final int pgPoolSize;
  private final String adminToken;
  private final int maxBodyBytes;
  private final int maxInflatedBytes;
  private final int maxBatchRecords;
  private final int maxPayloadBytes;
  private final int maxTopicBytes;
  private final int maxHeaderBytes;
  private final int maxPendingRecords;
  private final Duration authCacheTtl;
  private final Duration storeTimeout;
  private final Duration chainWait;
  private final Duration tombstoneRetention;
  private final Duration compactEvery;
  private final Clock clock;
  private final SyncCollections syncCollections;

  private ServerConfig(Builder b) {
    host = b.host;
    port = b.port;
    dataDir = b.dataDir;
    store = b.store;
    pgUrl = b.pgUrl;
    pgPoolSize = b.pgPoolSize;
    adminToken = b.adminToken;
    maxBodyBytes = b.maxBodyBytes;
    maxInflatedBytes = b.maxInflatedBytes;
    maxBatchRecords = b.maxBatchRecords;
    maxPayloadBytes = b.maxPayloadBytes;
    maxTopicBytes = b.maxTopicBytes;
    maxHeaderBytes = b.maxHeaderBytes;
    maxPendingRecords = b.maxPendingRecords;
    authCacheTtl = b.authCacheTtl;
    storeTimeout = b.storeTimeout;
    chainWait = b.chainWait;
    tombstoneRetention = b.tombstoneRetention;
    compactEvery = b.compactEvery;
    clock = b.clock;
    syncCollections = b.syncCollections;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder newBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.dataDir = dataDir;
    b.store = store;
    b.pgUrl = pgUrl;
    b.pgPoolSize = pgPoolSize;
    b.adminToken = adminToken;
    b.maxBodyBytes = maxBodyBytes;
    b.maxInflatedBytes = maxInflatedBytes;
    b.maxBatchRecords = maxBatchRecords;
    b.maxPayloadBytes = maxPayloadBytes;
    b.maxTopicBytes = maxTopicBytes;
    b.maxHeaderBytes = maxHeaderBytes;
    b.maxPendingRecords = maxPendingRecords;
    b.authCacheTtl = authCacheTtl;
    b.storeTimeout = storeTimeout;
    b.chainWait = chainWait;
    b.tombstoneRetention = tombstoneRetention;
    b.compactEvery = compactEvery;
    b.clock = clock;
    b.syncCollections = syncCollections;
    return b;
  }

  public String host() { return host; }
  public int port() { return port; }
  /** Where the SQLite store lives ({@code server.db}); may be null with PostgreSQL. */
  public Path dataDir() { return dataDir; }
  public StoreKind store() { return store; }
  public String pgUrl() { return pgUrl; }
  public int pgPoolSize() { return pgPoolSize; }
  /** The configured admin token, or null to use the stored one (generated on first start). */
  public String adminToken() { return adminToken; }
  public int maxBodyBytes() { return maxBodyBytes; }
  public int maxInflatedBytes() { return maxInflatedBytes; }
  public int maxBatchRecords() { return maxBatchRecords; }
  public int maxPayloadBytes() { return maxPayloadBytes; }
  public int maxTopicBytes() { return maxTopicBytes; }
  public int maxHeaderBytes() { return maxHeaderBytes; }
  /** Records waiting for the store beyond which ingest answers 503 with Retry-After. */
  public int maxPendingRecords() { return maxPendingRecords; }
  /** How long a device token lookup is cached (a revoke from another process takes this long). */
  public Duration authCacheTtl() { return authCacheTtl; }
  /** How long a request waits for the store's commit before answering 503. */
  public Duration storeTimeout() { return storeTimeout; }
  /** How long a chained batch waits for its predecessor to arrive before 409 (docs/protocol.md). */
  public Duration chainWait() { return chainWait; }
  /**
   * How long a deleted document's tombstone stays in the change feed. A device whose cursor is
   * older than what compaction removed gets an explicit resync. Default 30 days.
   */
  public Duration tombstoneRetention() { return tombstoneRetention; }
  /** How often the feed is compacted. Default 1 hour. */
  public Duration compactEvery() { return compactEvery; }
  public Clock clock() { return clock; }
  /** The replicated collections served (docs/sync-model.md); none unless given with --sync-config. */
  public SyncCollections syncCollections() { return syncCollections; }

  /** Mutable, not thread-safe; {@link #build()} validates the whole. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 8080;
    private Path dataDir;
    private StoreKind store = StoreKind.SQLITE;
    private String pgUrl;
    private int pgPoolSize = 8;
    private String adminToken;
    private int maxBodyBytes = 16 << 20;
    private int maxInflatedBytes = 64 << 20;
    private int maxBatchRecords = 10_000;
    private int maxPayloadBytes = RecordLimits.DEFAULT.maxPayloadBytes();
    private int maxTopicBytes = RecordLimits.DEFAULT.maxTopicBytes();
    private int maxHeaderBytes = RecordLimits.DEFAULT.maxHeaderChars();
    private int maxPendingRecords = 200_000;
    private Duration authCacheTtl = Duration.ofSeconds(5);
    private Duration storeTimeout = Duration.ofSeconds(30);
    private Duration chainWait = Duration.ofSeconds(2);
    private Duration tombstoneRetention = Duration.ofDays(30);
    private Duration compactEvery = Duration.ofHours(1);
    private Clock clock = Clock.systemUTC();
    private SyncCollections syncCollections = SyncCollections.none();

    private Builder() {}

    /** The address to listen on; default 127.0.0.1 ({@code 0.0.0.0} for all interfaces). */
    public Builder host(String host) {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("host is empty");
      }
      this.host = host;
      return this;
    }

    /** 0 picks a free port ({@link OutpostServer#port()} tells which). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, was " + port);
      }
      this.port = port;
      return this;
    }

    public Builder dataDir(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
      return this;
    }

    public Builder store(StoreKind store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** e.g. {@code jdbc:postgresql://127.0.0.1:5432/outpost?user=postgres}; implies POSTGRES. */
    public Builder pgUrl(String pgUrl) {
      if (pgUrl == null || !pgUrl.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException("pgUrl must start with jdbc:postgresql:, was " + pgUrl);
      }
      this.pgUrl = pgUrl;
      return this;
    }

    public Builder pgPoolSize(int n) {
      this.pgPoolSize = positive("pgPoolSize", n);
      return this;
    }

    public Builder adminToken(String token) {
      if (token == null || token.length() < 8) {
        throw new IllegalArgumentException("adminToken must be at least 8 characters");
      }
      this.adminToken = token;
      return this;
    }

    public Builder maxBodyBytes(int n) {
      this.maxBodyBytes = positive("maxBodyBytes", n);
      return this;
    }

    public Builder maxInflatedBytes(int n) {
      this.maxInflatedBytes = positive("maxInflatedBytes", n);
      return this;
    }

    public Builder maxBatchRecords(int n) {
      this.maxBatchRecords = positive("maxBatchRecords", n);
      return this;
    }

    public Builder maxPayloadBytes(int n) {
      this.maxPayloadBytes = positive("maxPayloadBytes", n);
      return this;
    }

    public Builder maxTopicBytes(int n) {
      this.maxTopicBytes = positive("maxTopicBytes", n);
      return this;
    }

    public Builder maxHeaderBytes(int n) {
      this.maxHeaderBytes = positive("maxHeaderBytes", n);
      return this;
    }

    public Builder maxPendingRecords(int n) {
      this.maxPendingRecords = positive("maxPendingRecords", n);
      return this;
    }

    public Builder authCacheTtl(Duration ttl) {
      if (ttl == null || ttl.isNegative()) {
        throw new IllegalArgumentException("authCacheTtl must be >= 0, was " + ttl);
      }
      this.authCacheTtl = ttl;
      return this;
    }

    public Builder storeTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("storeTimeout must be > 0, was " + timeout);
      }
      this.storeTimeout = timeout;
      return this;
    }

    /**
     * How long a batch sent with {@code Outpost-After} waits for the named batch to reach the
     * server (it may be overtaken on another connection) before it is refused with 409; default
     * 2 s. Its commit is then awaited up to {@link #storeTimeout}.
     */
    public Builder tombstoneRetention(Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("tombstoneRetention must be > 0, was " + d);
      }
      this.tombstoneRetention = d;
      return this;
    }

    public Builder compactEvery(Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("compactEvery must be > 0, was " + d);
      }
      this.compactEvery = d;
      return this;
    }

    public Builder chainWait(Duration wait) {
      if (wait == null || wait.isNegative()) {
        throw new IllegalArgumentException("chainWait must be >= 0, was " + wait);
      }
      this.chainWait = wait;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder syncCollections(SyncCollections collections) {
      this.syncCollections = Objects.requireNonNull(collections, "syncCollections");
      return this;
    }

    public ServerConfig build() {
      if (pgUrl != null && store == StoreKind.SQLITE) {
        store = StoreKind.POSTGRES;
      }
      if (store == StoreKind.SQLITE && dataDir == null) {
        throw new IllegalArgumentException("dataDir is required for the SQLITE store");
      }
      if (store == StoreKind.POSTGRES && pgUrl == null) {
        throw new IllegalArgumentException("pgUrl is required for the POSTGRES store");
      }
      if (maxInflatedBytes < maxBodyBytes) {
        throw new IllegalArgumentException(
            "maxInflatedBytes (" + maxInflatedBytes + ") must be >= maxBodyBytes (" + maxBodyBytes + ")");
      }
      return new ServerConfig(this);
    }

    private static int positive(String name, int n) {
      if (n <= 0) {
        throw new IllegalArgumentException(name + " must be > 0, was " + n);
      }
      return n;
    }
  }
}
