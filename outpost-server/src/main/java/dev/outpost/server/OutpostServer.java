package dev.outpost.server;

import dev.outpost.server.internal.AdminAuth;
import dev.outpost.server.internal.IngestHandler;
import dev.outpost.server.internal.PassThroughEncodings;
import dev.outpost.server.internal.ReadRoutes;
import dev.outpost.server.internal.ServerMetrics;
import dev.outpost.server.internal.ServerRoutes;
import dev.outpost.server.internal.Tokens;
import io.helidon.webserver.WebServer;
import dev.outpost.core.sync.HlcClock;
import dev.outpost.server.internal.ConflictRoutes;
import dev.outpost.server.internal.DocRoutes;
import dev.outpost.server.internal.LiveCollections;
import dev.outpost.server.internal.PullRoutes;
import dev.outpost.server.internal.SyncMerger;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud ingest server: HTTP API v1 (Helidon SE, virtual threads) over a {@link ServerStore}.
 *
 * <pre>
 * OutpostServer server = OutpostServer.start(ServerConfig.builder().port(0).dataDir(dir).build());
 * String token = server.devices().add("dev-1");
 * </pre>
 *
 * <p>Every record it acknowledges as stored or duplicate is in a committed store transaction
 * first; a crash loses nothing that was acknowledged. Thread-safe. {@link #close()} stops taking
 * requests, lets running ones finish, then closes the store.
 */
public final class OutpostServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutpostServer.class);

  private final ServerConfig config;
  private final ServerStore store;
  private final AdminAuth admin;
  private final WebServer web;
  private final ScheduledExecutorService compaction;

  /** How often a server takes up a sync config another server on the same database stored. */
  private static final long CONFIG_REFRESH_MILLIS = 2000;

  private OutpostServer(ServerConfig config, ServerStore store, AdminAuth admin, WebServer web, LiveCollections collections) {
    this.config = config;
    this.store = store;
    this.admin = admin;
    this.web = web;
    this.compaction = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("outpost-feed-compaction").daemon(true).factory());
    long every = config.compactEvery().toMillis();
    compaction.scheduleWithFixedDelay(this::compact, every, every, TimeUnit.MILLISECONDS);
    compaction.scheduleWithFixedDelay(() -> {
      try {
        collections.refresh();
      } catch (RuntimeException e) {
        LOG.warn("reading the stored sync config failed, will retry: {}", e.toString());
      }
    }, CONFIG_REFRESH_MILLIS, CONFIG_REFRESH_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Removes tombstones older than the retention; never throws (the schedule would stop). */
  private void compact() {
    try {
      long removed = store.internal().docs().compact(config.clock().millis() - config.tombstoneRetention().toMillis());
      if (removed > 0) {
        LOG.info("change feed compacted: {} tombstones older than {} removed", removed, config.tombstoneRetention());
      }
    } catch (RuntimeException e) {
      LOG.warn("change feed compaction failed, will retry: {}", e.toString());
    }
  }

  /** Opens the store, starts listening, and returns once requests are served. */
  public static OutpostServer start(ServerConfig config) {
    ServerStore store = ServerStore.open(config);
    try {
      AdminAuth admin = AdminAuth.init(config.adminToken(), store.internal().adminTokens(), new Tokens(new SecureRandom()));
      ServerMetrics metrics = new ServerMetrics(store.internal());
      // one node id per server process: two servers on one database never stamp the same HLC
      HlcClock hlc = new HlcClock("server-" + Long.toHexString(new SecureRandom().nextLong() >>> 16), config.clock(),
          HlcClock.DEFAULT_MAX_SKEW);
      LiveCollections collections = new LiveCollections(config.syncCollections(), store.internal().docs());
      SyncMerger sync = new SyncMerger(collections, hlc, store.internal().docs(), store.registry());
      metrics.sync(store.internal().docs(), sync);
      byte[] fresh = new byte[32];
      new SecureRandom().nextBytes(fresh);
      byte[] cursorKey = HexFormat.of().parseHex(
          store.internal().adminTokens().initSecret("sync_cursor_key", HexFormat.of().formatHex(fresh)));
      ServerRoutes routes =
          new ServerRoutes(
              store.internal(),
              metrics,
              new IngestHandler(config, store.internal(), store.registry(), metrics, sync),
              new ReadRoutes(config, store.internal(), store.internal().devices(), store.registry(), admin),
              new DocRoutes(collections, store.internal().docs(), hlc, admin),
              new PullRoutes(collections, store.internal().docs(), store.registry(), cursorKey),
              new ConflictRoutes(sync, store.internal().docs(), admin));
      WebServer web =
          WebServer.builder()
              .host(config.host())
              .port(config.port())
              .shutdownHook(false)
              // Bodies reach IngestHandler as sent: it inflates them itself, with a size bound.
              .contentEncoding(new PassThroughEncodings())
              .routing(routes::register)
              .build()
              .start();
      OutpostServer server = new OutpostServer(config, store, admin, web, collections);
      LOG.debug("outpost server listening on {} ({} store)", server.url(), config.store());
      return server;
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** The port it listens on (the real one when configured with 0). */
  public int port() {
    return web.port();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:8080}. */
  public String url() {
    String host = config.host();
    if (host.equals("0.0.0.0") || host.equals("::")) {
      host = "127.0.0.1";
    }
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
  }

  public Devices devices() {
    return store.devices();
  }

  /** The store it runs on (read-back in-process, as {@code GET /v1/messages} does over HTTP). */
  public ServerStore store() {
    return store;
  }

  /** The admin token if this start generated it (first start, none configured): show it once. */
  public Optional<String> generatedAdminToken() {
    return admin.generatedToken();
  }

  public ServerConfig config() {
    return config;
  }

  @Override
  public void close() {
    compaction.shutdownNow();
    try {
      compaction.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    web.stop();
    store.close();
  }
}
