package dev.outpost.sim.uplink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outpost.core.LinkStateMachine;
import dev.outpost.core.MessageId;
import dev.outpost.core.Priority;
import dev.outpost.edge.http.HttpTransport;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxStats;
import dev.outpost.edge.sync.SyncConfig;
import dev.outpost.edge.sync.SyncEngine;
import dev.outpost.edge.sync.SyncStatus;
import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import dev.outpost.sim.AckLedger;
import dev.outpost.sim.DeliveryChecker;
import dev.outpost.sim.DeliveryReport;
import dev.outpost.sim.FaultProxy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;

/**
 * A real server, a fault proxy in front of it, a real SQLite outbox and a sync engine talking to
 * the server through the proxy. Every append goes into an {@link AckLedger}; {@link
 * #assertExactlyOnceInOrder()} reads the server back through its HTTP API.
 */
final class UplinkRig implements AutoCloseable {
  static final String DEVICE = "dev-1";
  static final String ADMIN = "admin-token";
  static final String[] TOPICS = {"sensors/temp", "sensors/vib", "alarms"};

  final OutpostServer server;
  final FaultProxy proxy;
  final Outbox outbox;
  final String token;
  final AckLedger ledger = AckLedger.inMemory();
  private final SplittableRandom random = new SplittableRandom(20261122);
  private SyncEngine engine;
  HttpTransport transport;
  private int appended;

  private UplinkRig(Path dir, UnaryOperator<ServerConfig.Builder> serverTuning) throws Exception {
    server = OutpostServer.start(serverTuning.apply(
        ServerConfig.builder().port(0).dataDir(dir.resolve("server")).adminToken(ADMIN)).build());
    token = server.devices().add(DEVICE);
    proxy = FaultProxy.start("uplink", new InetSocketAddress("127.0.0.1", server.port()));
    outbox = Outbox.open(dir.resolve("outbox"), OutboxConfig.builder().groupCommitMaxWait(Duration.ZERO).build());
  }

  static UplinkRig start(Path dir) throws Exception {
    return new UplinkRig(dir, b -> b);
  }

  static UplinkRig start(Path dir, UnaryOperator<ServerConfig.Builder> serverTuning) throws Exception {
    return new UplinkRig(dir, serverTuning);
  }

  /** Settings that make faults show within a second: short timeouts, fast heartbeats. */
  SyncConfig.Builder fastConfig() {
    return SyncConfig.builder(proxy.uri(), DEVICE, token)
        .maxBatchRecords(50)
        .maxInFlight(4)
        .linger(Duration.ofMillis(5))
        .connectTimeout(Duration.ofMillis(500))
        .requestTimeout(Duration.ofSeconds(1))
        .leaseTimeout(Duration.ofSeconds(5))
        .retry(Duration.ofMillis(20), Duration.ofMillis(250))
        .authRetryInterval(Duration.ofMillis(300))
        .heartbeat(Duration.ofMillis(300), Duration.ofMillis(50), Duration.ofMillis(250))
        .healthReportInterval(Duration.ofMillis(300))
        .linkPolicy(new LinkStateMachine.Policy(10, 0.3, Duration.ofSeconds(2), 3, Duration.ofMillis(400)));
  }

  SyncEngine startEngine(SyncConfig config) {
    return startEngine(config, new SplittableRandom(7));
  }

  SyncEngine startEngine(SyncConfig config, RandomGenerator random) {
    transport = new HttpTransport(config.transport(), Clock.systemUTC());
    engine = SyncEngine.builder(outbox, config).transport(transport, true).random(random).start();
    return engine;
  }

  SyncStatus status() {
    return engine.status();
  }

  /** Appends {@code n} records over the topics and the given priorities, in one transaction. */
  List<Long> append(int n, Priority... priorities) {
    List<NewRecord> records = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String topic = TOPICS[random.nextInt(TOPICS.length)];
      Priority p = priorities[random.nextInt(priorities.length)];
      records.add(new NewRecord(topic, payload(appended + i, 60), p));
    }
    List<Long> seqs = outbox.appendAll(records);
    for (int i = 0; i < n; i++) {
      NewRecord r = records.get(i);
      ledger.acknowledged(new MessageId(DEVICE, outbox.epoch(), seqs.get(i)), r.topic(), r.priority());
    }
    appended += n;
    if (engine != null) {
      engine.wake();
    }
    return seqs;
  }

  List<Long> append(int n) {
    return append(n, Priority.values());
  }

  static byte[] payload(int i, int size) {
    StringBuilder sb = new StringBuilder("{\"i\":").append(i).append(",\"v\":\"");
    while (sb.length() < size - 2) {
      sb.append((char) ('a' + (i + sb.length()) % 26));
    }
    return sb.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Until the outbox is empty and the engine (if started) has finished every batch: an ack shows
   * in the outbox before the engine counts the batch and clears a pause.
   */
  void awaitDrained(Duration atMost) {
    await().atMost(atMost).pollInterval(Duration.ofMillis(20)).until(() -> {
      OutboxStats s = outbox.stats();
      return s.pendingTotal() == 0 && s.inFlight() == 0
          && (engine == null || engine.status().inFlightBatches() == 0);
    });
  }

  DeliveryReport check() throws Exception {
    return DeliveryChecker.builder(URI.create(server.url()), ADMIN).build().check(ledger);
  }

  /** Every appended record is on the server exactly once, in seq order per lane. */
  void assertExactlyOnceInOrder() throws Exception {
    DeliveryReport r = check();
    assertThat(r.ok()).as("%s", r).isTrue();
    assertThat(r.stored()).as("%s", r).isEqualTo(appended);
    assertThat(r.unexpected()).as("%s", r).isZero();
  }

  @Override
  public void close() throws Exception {
    if (engine != null) {
      engine.close();
    }
    outbox.close();
    proxy.close();
    server.close();
    ledger.close();
  }
}
