package dev.outpost.edge.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.outpost.core.LinkState;
import dev.outpost.core.LinkStateMachine;
import dev.outpost.edge.http.HttpTransport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The monitor against a real /healthz on loopback whose health the test switches. */
class LinkMonitorTest {
  private HttpServer server;
  private final AtomicInteger healthStatus = new AtomicInteger(200);
  private final AtomicInteger probes = new AtomicInteger();

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/healthz", ex -> {
      probes.incrementAndGet();
      ex.sendResponseHeaders(healthStatus.get(), -1);
      ex.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private SyncConfig config() {
    return SyncConfig.builder(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "d", "t")
        .requestTimeout(Duration.ofSeconds(2))
        .heartbeat(Duration.ofMillis(100), Duration.ofMillis(50), Duration.ofMillis(400))
        .linkPolicy(new LinkStateMachine.Policy(10, 0.3, Duration.ofSeconds(2), 3, Duration.ofMillis(300)))
        .build();
  }

  @Test
  void goesOnlineOfflineAndBackWithListenersTold() {
    SyncConfig c = config();
    List<String> changes = new CopyOnWriteArrayList<>();
    try (HttpTransport t = new HttpTransport(c.transport(), Clock.systemUTC());
        LinkMonitor m = new LinkMonitor(t, c.link(), Clock.systemUTC())) {
      m.addListener((from, to) -> changes.add(from + "->" + to));
      assertThat(m.state()).isEqualTo(LinkState.OFFLINE);
      m.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> m.state() == LinkState.ONLINE);
      assertThat(m.snapshot().upSince()).isNotNull();

      healthStatus.set(500);
      await().atMost(Duration.ofSeconds(5)).until(() -> m.state() == LinkState.OFFLINE);
      assertThat(m.snapshot().downSince()).isNotNull();
      // listeners hear of a change just after state() shows it
      await().atMost(Duration.ofSeconds(2)).untilAsserted(
          () -> assertThat(changes).contains("ONLINE->TRANSITIONING", "TRANSITIONING->OFFLINE"));

      // while offline the heartbeat slows down: 50, 100, 200, 400, 400 ms ...
      await().atMost(Duration.ofSeconds(5)).until(() -> m.snapshot().nextHeartbeatIn().toMillis() > 200);

      healthStatus.set(200);
      await().atMost(Duration.ofSeconds(5)).until(() -> m.state() == LinkState.ONLINE);
      await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(changes).endsWith("OFFLINE->ONLINE"));
    }
  }

  @Test
  void requestOutcomesDriveTheStateAndABlipIsAbsorbed() {
    SyncConfig c = config().newBuilder()
        .heartbeat(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30))
        .linkPolicy(new LinkStateMachine.Policy(10, 0.3, Duration.ofSeconds(2), 3, Duration.ofSeconds(30)))
        .build();
    try (HttpTransport t = new HttpTransport(c.transport(), Clock.systemUTC());
        LinkMonitor m = new LinkMonitor(t, c.link(), Clock.systemUTC())) {
      m.recordSuccess(Duration.ofMillis(5));
      assertThat(m.state()).isEqualTo(LinkState.ONLINE);
      for (int i = 0; i < 3; i++) {
        m.recordFailure(ErrorKind.NETWORK, "reset");
      }
      assertThat(m.state()).isEqualTo(LinkState.TRANSITIONING);
      assertThat(m.snapshot().consecutiveFailures()).isEqualTo(3);
      m.recordSuccess(Duration.ofMillis(5));
      assertThat(m.state()).isEqualTo(LinkState.ONLINE);
      for (int i = 0; i < 10; i++) {
        m.recordSuccess(Duration.ofMillis(3000));
      }
      assertThat(m.state()).isEqualTo(LinkState.DEGRADED);
    }
  }

  @Test
  void aDegradedLinkIsProbedEverySecondAndAFewFastAnswersBringItBack() {
    // a 30 s heartbeat while ONLINE; the DEGRADED one is the default 1 s
    SyncConfig c = config().newBuilder()
        .heartbeat(Duration.ofSeconds(30), Duration.ofMillis(50), Duration.ofMillis(400))
        .linkPolicy(LinkStateMachine.Policy.defaults())
        .build();
    try (HttpTransport t = new HttpTransport(c.transport(), Clock.systemUTC());
        LinkMonitor m = new LinkMonitor(t, c.link(), Clock.systemUTC())) {
      m.recordSuccess(Duration.ofMillis(5));
      for (int i = 0; i < 20; i++) {
        m.recordSuccess(Duration.ofMillis(3000)); // slow answers to requests
      }
      assertThat(m.state()).isEqualTo(LinkState.DEGRADED);
      assertThat(m.snapshot().nextHeartbeatIn()).isLessThanOrEqualTo(c.link().heartbeatDegraded());
      long degradedAt = System.nanoTime();
      int before = probes.get();
      // loopback heartbeats answer in milliseconds: 3 of them in a row and it is ONLINE again
      await().atMost(Duration.ofSeconds(6)).until(() -> m.state() == LinkState.ONLINE);
      assertThat(probes.get() - before).isBetween(3, 5);
      assertThat(System.nanoTime() - degradedAt).isLessThan(Duration.ofSeconds(6).toNanos());
      // the heartbeat that brought it back schedules the next (30 s) just after the change
      await().atMost(Duration.ofSeconds(2))
          .until(() -> m.snapshot().nextHeartbeatIn().compareTo(Duration.ofSeconds(20)) > 0);
    }
  }

  @Test
  void theOfflineBackoffStartsOverAfterTheLinkCameBack() {
    SyncConfig c = config().newBuilder()
        .heartbeat(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofSeconds(3))
        .build();
    try (HttpTransport t = new HttpTransport(c.transport(), Clock.systemUTC());
        LinkMonitor m = new LinkMonitor(t, c.link(), Clock.systemUTC())) {
      m.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> m.state() == LinkState.ONLINE);
      healthStatus.set(500);
      // a long outage: the probe interval grows to 3 s
      await().atMost(Duration.ofSeconds(10)).until(() -> m.snapshot().nextHeartbeatIn().toMillis() > 1500);
      healthStatus.set(200);
      await().atMost(Duration.ofSeconds(5)).until(() -> m.state() == LinkState.ONLINE);

      healthStatus.set(500);
      await().atMost(Duration.ofSeconds(5)).until(() -> m.state() == LinkState.OFFLINE);
      int atOffline = probes.get();
      // starting over at 100 ms: 100 + 200 + 400 ms; left at 3 s it would take 9 s
      await().atMost(Duration.ofSeconds(3)).until(() -> probes.get() >= atOffline + 3);
    }
  }
}
