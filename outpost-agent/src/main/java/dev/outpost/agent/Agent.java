package dev.outpost.agent;

import dev.outpost.edge.sync.ErrorKind;
import dev.outpost.agent.internal.ReplicaFile;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.Replica;
import dev.outpost.edge.http.HttpChangeFeed;
import dev.outpost.edge.sync.Downlink;
import dev.outpost.edge.sync.SyncEngine;
import dev.outpost.edge.sync.SyncStatus;
import dev.outpost.agent.AgentLock;
import dev.outpost.agent.LocalApi;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge agent: one outbox in the data dir, a sync engine draining it to the server, and the
 * local HTTP API producers publish to. One agent per data dir: an OS file lock
 * ({@code agent.lock}) refuses a second one, and tells operator commands that an agent runs.
 *
 * <p><b>Start:</b> the config is already validated ({@link AgentConfig}); start takes the lock,
 * opens the store, starts the uplink, then the API. A failure at any step closes what was opened.
 *
 * <p><b>Stop</b> ({@link #close()}, also run by the SIGTERM shutdown hook of {@link #run}): stop
 * accepting publishes (503, readiness fails), stop the API, let in-flight uplink batches settle
 * for up to {@code shutdown.drain-timeout}, then close the store cleanly and release the lock.
 * Records of batches still unanswered stay in the store and are sent again after a restart.
 *
 * <p><b>Crash</b> (SIGKILL, power loss): every publish answered 202 was committed and fsync'd
 * before the answer, so it is in the store on restart; the lock dies with the process.
 *
 * <p>Thread-safe.
 */
public final class Agent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Agent.class);

  private final AgentConfig config;
  private final AgentLock lock;
  private final Outbox outbox;
  private final SyncEngine sync;
  private final Replica replica;
  private final Downlink downlink;
  private final LocalApi api;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);

  private Agent(AgentConfig config, AgentLock lock, Outbox outbox, SyncEngine sync, Replica replica, Downlink downlink,
      LocalApi api) {
    this.config = config;
    this.lock = lock;
    this.outbox = outbox;
    this.sync = sync;
    this.replica = replica;
    this.downlink = downlink;
    this.api = api;
  }

  /** Takes the data dir's lock, opens the store, starts the uplink and the local API. */
  public static Agent start(AgentConfig config) {
    if (config.syncConfig() == null) {
      throw new IllegalArgumentException("config was built for operator commands, not for an agent");
    }
    AgentLock lock = AgentLock.acquire(config.dataDir());
    Outbox outbox = null;
    SyncEngine sync = null;
    Replica replica = null;
    Downlink downlink = null;
    try {
      outbox = Outbox.open(config.dataDir(), config.outboxConfig());
      sync = SyncEngine.start(outbox, config.syncConfig());
      SyncEngine engine = sync;
      if (config.replicaConfig() != null) {
        replica = Replica.open(outbox, ReplicaFile.read(config.replicaConfig(), config.deviceId()));
        downlink = Downlink.start(replica, new HttpChangeFeed(config.syncConfig().transport()), engine.linkMonitor(),
            Downlink.Settings.DEFAULTS);
      }
      Replica local = replica;
      LocalApi api = LocalApi.start(new LocalApi.Settings(config.deviceId(), config.apiBind(),
              config.apiPort(), config.apiMaxBatchBytes(), config.apiMaxBatchRecords(),
              config.outboxConfig().maxPayloadBytes()),
          outbox, local, () -> uplink(engine.status()), engine::wake);
      lock.describe(ProcessHandle.current().pid(), "http://" + hostForUrl(config.apiBind()) + ":" + api.port());
      log.info("Agent for device {} started: data dir {}, server {}, local API on port {}",
          config.deviceId(), config.dataDir(), config.serverUrl(), api.port());
      return new Agent(config, lock, outbox, sync, replica, downlink, api);
    } catch (RuntimeException e) {
      if (downlink != null) {
        downlink.close();
      }
      if (replica != null) {
        replica.close();
      }
      if (sync != null) {
        sync.close();
      }
      if (outbox != null) {
        outbox.close();
      }
      lock.close();
      throw e;
    }
  }

  /**
   * Runs the agent without the CLI, as {@code outpost agent} does (flags over {@code OUTPOST_*}
   * environment over defaults; no config file): {@code java -cp ... dev.outpost.agent.Agent
   * device-id=gw-1 server-url=http://... data-dir=/var/lib/outpost token-file=...}. The chaos
   * suite and the memory benchmark start agents this way where the CLI is not on the classpath.
   */
  public static void main(String[] args) throws InterruptedException {
    Map<String, String> flags = new LinkedHashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException("argument '" + a + "' is not key=value (e.g. device-id=gw-1)");
      }
      flags.put(a.substring(0, eq), a.substring(eq + 1));
    }
    run(AgentConfig.load(null, System.getenv(), flags, true));
  }

  /**
   * Starts the agent, installs a shutdown hook (SIGTERM, SIGINT) that drains and closes it, and
   * blocks until it is closed.
   */
  public static void run(AgentConfig config) throws InterruptedException {
    Agent agent = start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "outpost-agent-shutdown"));
    agent.awaitClose();
  }

  /** The local API's port (useful with {@code api.port: 0}). */
  public int apiPort() {
    return api.port();
  }

  public Outbox outbox() {
    return outbox;
  }

  /** The device's replica, or null without {@code replica.config}. */
  public Replica replica() {
    return replica;
  }

  public AgentConfig config() {
    return config;
  }

  /** The uplink's view for {@code /v1/status}. */
  public UplinkStatus uplink() {
    return uplink(sync.status());
  }

  public void awaitClose() throws InterruptedException {
    stopped.await();
  }

  /** Drains and closes (see the class comment). Idempotent; returns once the store is closed. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      awaitQuietly();
      return;
    }
    long startNanos = System.nanoTime();
    try {
      log.info("Agent stopping: no new publishes; letting in-flight batches settle for up to {}",
          dev.outpost.agent.ValueType.formatDuration(config.drainTimeout()));
      api.stopAccepting();
      api.close();
      if (downlink != null) {
        downlink.close(); // a page pulled but not applied is pulled again after the restart
      }
      closeWithin(sync, config.drainTimeout());
      if (replica != null) {
        replica.close();
      }
      outbox.close();
      log.info("Agent stopped cleanly in {} ms; the store is closed", (System.nanoTime() - startNanos) / 1_000_000);
    } finally {
      lock.close();
      stopped.countDown();
    }
  }

  private void awaitQuietly() {
    try {
      stopped.await(config.drainTimeout().plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Closes the engine on a helper thread and waits at most {@code limit} for it. */
  private static void closeWithin(SyncEngine engine, Duration limit) {
    Thread closer = Thread.ofPlatform().daemon().name("outpost-sync-close").start(engine::close);
    try {
      if (!closer.join(limit)) {
        log.warn("In-flight uplink batches did not settle within {}; their records stay in the store"
            + " and are sent again after the restart", limit);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static UplinkStatus uplink(SyncStatus s) {
    String lastError = s.lastError() == null ? null
        : (s.lastErrorKind() == null ? "" : s.lastErrorKind().name() + ": ") + s.lastError();
    return new UplinkStatus(s.link().name(), s.lastSuccessfulSync(), lastError, s.lastErrorAt(),
        s.pausedBy() == ErrorKind.AUTH, s.delivered());
  }

  private static String hostForUrl(String bind) {
    if (bind.equals("0.0.0.0") || bind.equals("::") || bind.equals("[::]")) {
      return "127.0.0.1";
    }
    return bind.contains(":") && !bind.startsWith("[") ? "[" + bind + "]" : bind;
  }
}
