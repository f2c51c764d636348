package dev.outpost.sim;

import dev.outpost.core.Backoff;
import dev.outpost.core.LinkStateMachine;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.Replica;
import dev.outpost.edge.ReplicaConfig;
import dev.outpost.edge.http.HttpChangeFeed;
import dev.outpost.edge.http.HttpTransport;
import dev.outpost.edge.sync.Downlink;
import dev.outpost.edge.sync.SyncConfig;
import dev.outpost.edge.sync.SyncEngine;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * A simulated device with a replica, in this process: its own {@link FaultProxy} to the server,
 * outbox, replica, uplink and downlink, tuned to notice a fault within a second or two (the
 * demo's terminals, the convergence tests). Close it to stop everything in order.
 */
public record ReplicaDevice(String id, FaultProxy proxy, Outbox outbox, Replica replica, SyncEngine engine,
    Downlink downlink) implements AutoCloseable {

  /** Starts device {@code id} (registered with {@code token}) against the server at {@code target}. */
  public static ReplicaDevice start(String id, String token, InetSocketAddress target, Path dir, ReplicaConfig config)
      throws IOException {
    FaultProxy proxy = FaultProxy.start(id, target);
    Outbox outbox = null;
    Replica replica = null;
    SyncEngine engine = null;
    try {
      SyncConfig sync = SyncConfig.builder(proxy.uri(), id, token)
          .linger(Duration.ofMillis(20))
          .connectTimeout(Duration.ofSeconds(1))
          .requestTimeout(Duration.ofSeconds(3))
          .retry(Duration.ofMillis(100), Duration.ofSeconds(1))
          .heartbeat(Duration.ofSeconds(10), Duration.ofMillis(250), Duration.ofSeconds(1))
          .linkPolicy(new LinkStateMachine.Policy(20, 0.3, Duration.ofMillis(1500), 3, Duration.ofSeconds(2)))
          .build();
      outbox = Outbox.open(dir, OutboxConfig.builder().build());
      replica = Replica.open(outbox, config);
      engine = SyncEngine.builder(outbox, sync).transport(new HttpTransport(sync.transport(), Clock.systemUTC()), true)
          .start();
      Downlink downlink = Downlink.start(replica, new HttpChangeFeed(sync.transport()), engine.linkMonitor(),
          new Downlink.Settings(1000, 100, Duration.ofSeconds(5), Backoff.exponential(Duration.ofMillis(100), 2)));
      return new ReplicaDevice(id, proxy, outbox, replica, engine, downlink);
    } catch (RuntimeException e) {
      if (engine != null) {
        engine.close();
      }
      if (replica != null) {
        replica.close();
      }
      if (outbox != null) {
        outbox.close();
      }
      proxy.close();
      throw e;
    }
  }

  /** Writes not yet acknowledged by the server. */
  public long unsent() {
    return outbox.stats().pendingTotal() + outbox.stats().inFlight();
  }

  @Override
  public void close() {
    downlink.close();
    engine.close();
    replica.close();
    outbox.close();
    proxy.close();
  }
}
