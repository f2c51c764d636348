package dev.outpost.sim.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.core.Priority;
import dev.outpost.edge.http.HttpTransport;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxStats;
import dev.outpost.edge.sync.SyncConfig;
import dev.outpost.edge.sync.SyncEngine;
import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import dev.outpost.sim.AckLedger;
import dev.outpost.sim.DeliveryChecker;
import dev.outpost.sim.DeliveryReport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clock chaos: a device whose clock jumps forward and back by days, offline and while syncing.
 * Its outbox is ordered by seq, not wall time, so every lane arrives in seq order; each record
 * keeps the device's timestamp, and the server stamps {@code receivedAt} with its own clock.
 */
class ClockChaosTest {
  private static final String DEVICE = "clocky";
  private static final String ADMIN = "clock-admin";
  private static final String[] TOPICS = {"sensors/temp", "alarms"};
  private static final Duration[] JUMPS = {Duration.ofDays(3), Duration.ofDays(-40), Duration.ofDays(80),
      Duration.ofDays(-1), Duration.ofHours(-50), Duration.ofDays(12), Duration.ofDays(-60)};

  @TempDir Path tmp;
  private final JumpingClock device = new JumpingClock();
  private final AckLedger ledger = AckLedger.inMemory();
  private final Map<Long, long[]> deviceTs = new HashMap<>(); // seq -> device time before, after its append
  private final SplittableRandom random = new SplittableRandom(77);

  @Test
  void seqNotWallTimeOrdersTheLanesAndTheServerStampsItsOwnReceiveTime() throws Exception {
    long realStart = System.currentTimeMillis();
    try (OutpostServer server = OutpostServer.start(ServerConfig.builder().port(0).dataDir(tmp.resolve("server"))
            .adminToken(ADMIN).build());
        Outbox outbox = Outbox.open(tmp.resolve("outbox"), OutboxConfig.builder().clock(device)
            .groupCommitMaxWait(Duration.ZERO).build())) {
      String token = server.devices().add(DEVICE);
      for (int i = 0; i < 4; i++) { // offline: the backlog spans clock jumps
        device.jump(JUMPS[i]);
        append(outbox, 40);
      }
      SyncConfig config = SyncConfig.builder(URI.create(server.url()), DEVICE, token).maxBatchRecords(25)
          .linger(Duration.ofMillis(5)).retry(Duration.ofMillis(20), Duration.ofMillis(200)).build();
      try (SyncEngine engine = SyncEngine.builder(outbox, config)
          .transport(new HttpTransport(config.transport(), device), true).clock(device).random(new SplittableRandom(1)).start()) {
        for (int i = 4; i < JUMPS.length; i++) { // online: the clock jumps while batches are in flight
          device.jump(JUMPS[i]);
          append(outbox, 40);
          engine.wake();
        }
        await("drained despite the jumps").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
            .until(() -> {
              OutboxStats s = outbox.stats();
              return s.pendingTotal() == 0 && s.inFlight() == 0;
            });
      }
      long realEnd = System.currentTimeMillis();

      DeliveryReport report = DeliveryChecker.builder(URI.create(server.url()), ADMIN).build().check(ledger);
      assertThat(report.ok()).as("%s", report).isTrue();
      assertThat(report.stored()).isEqualTo(40L * JUMPS.length);

      List<JsonNode> stored = readBack(URI.create(server.url()));
      assertThat(stored).hasSize(40 * JUMPS.length);
      for (JsonNode m : stored) {
        long seq = m.path("seq").asLong();
        assertThat(m.path("ts").asLong()).as("device timestamp of seq %d kept as sent", seq)
            .isBetween(deviceTs.get(seq)[0], deviceTs.get(seq)[1]);
        assertThat(m.path("receivedAt").asLong()).as("receivedAt of seq %d is the server's clock", seq)
            .isBetween(realStart, realEnd);
      }
      assertThat(deviceTs.values()).as("the device clock really went back and forth by days")
          .anySatisfy(ts -> assertThat(ts[1]).isLessThan(realStart - Duration.ofDays(30).toMillis()))
          .anySatisfy(ts -> assertThat(ts[0]).isGreaterThan(realEnd + Duration.ofDays(20).toMillis()));
    }
  }

  private void append(Outbox outbox, int n) {
    List<NewRecord> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Priority p = random.nextBoolean() ? Priority.HIGH : Priority.NORMAL;
      records.add(new NewRecord(TOPICS[random.nextInt(TOPICS.length)],
          ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8), p));
    }
    long ts = device.millis();
    List<Long> seqs = outbox.appendAll(records);
    long after = device.millis();
    for (int i = 0; i < n; i++) {
      NewRecord r = records.get(i);
      ledger.acknowledged(DEVICE, outbox.epoch(), seqs.get(i), r.topic(), r.priority());
      deviceTs.put(seqs.get(i), new long[] {ts, after});
    }
    assertThat(after - ts).as("append took under a minute of device time").isLessThan(60_000);
  }

  /** Every stored record through {@code GET /v1/messages}, in server order. */
  private static List<JsonNode> readBack(URI server) throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> all = new ArrayList<>();
    try (HttpClient http = HttpClient.newHttpClient()) {
      long after = 0;
      for (int page = 0; page < 100; page++) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.resolve("/v1/messages?after=" + after
            + "&limit=100")).header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode doc = json.readTree(r.body());
        if (doc.path("messages").isEmpty()) {
          return all;
        }
        doc.path("messages").forEach(all::add);
        after = doc.path("next").asLong();
      }
    }
    throw new AssertionError("read-back did not end within 100 pages");
  }
}
