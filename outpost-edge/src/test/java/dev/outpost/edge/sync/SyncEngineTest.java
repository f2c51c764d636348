package dev.outpost.edge.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outpost.core.LinkState;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.edge.DeadLetter;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxStats;
import dev.outpost.edge.http.HttpTransport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine with a real SQLite outbox against a wire-v1 stand-in server on loopback. */
class SyncEngineTest {
  @TempDir Path dir;
  private IngestFarEnd farEnd;
  private Outbox outbox;

  @BeforeEach
  void setUp() throws Exception {
    farEnd = new IngestFarEnd();
    outbox = Outbox.open(dir, OutboxConfig.builder().groupCommitMaxWait(Duration.ZERO).build());
  }

  @AfterEach
  void tearDown() {
    outbox.close();
    farEnd.close();
  }

  private SyncConfig.Builder config() {
    return SyncConfig.builder(farEnd.uri(), "dev-1", "tok")
        .maxBatchRecords(40)
        .linger(Duration.ofMillis(5))
        .requestTimeout(Duration.ofSeconds(2))
        .leaseTimeout(Duration.ofSeconds(10))
        .retry(Duration.ofMillis(10), Duration.ofMillis(200))
        .authRetryInterval(Duration.ofMillis(300))
        .heartbeat(Duration.ofMillis(200), Duration.ofMillis(20), Duration.ofMillis(200));
  }

  private List<Long> append(int n, String... topics) {
    List<NewRecord> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String topic = topics[i % topics.length];
      Priority p = Priority.ofRank(i % 4);
      records.add(new NewRecord(topic, ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8), p));
    }
    return outbox.appendAll(records);
  }

  /**
   * Until the outbox is empty and the engine has finished every batch: a batch's ack shows in
   * the outbox before the engine counts it as delivered and clears a pause, so status read on
   * the outbox's word alone can lag.
   */
  private void awaitDrained(SyncEngine engine) {
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      OutboxStats s = outbox.stats();
      return s.pendingTotal() == 0 && s.inFlight() == 0 && engine.status().inFlightBatches() == 0;
    });
  }

  @Test
  void drainsEverythingOnceInLaneOrderWithBatchesInFlight() {
    List<Long> seqs = append(1000, "a", "b", "c", "d", "e", "f", "g", "h");
    try (SyncEngine engine = SyncEngine.start(outbox, config().maxInFlight(4).build())) {
      awaitDrained(engine);
      SyncStatus st = engine.status();
      assertThat(st.link()).isEqualTo(LinkState.ONLINE);
      assertThat(st.delivered()).isEqualTo(1000);
      assertThat(st.lastSuccessfulSync()).isNotNull();
      assertThat(st.backlog().values()).allMatch(v -> v == 0);
    }
    assertThat(farEnd.stored).extracting(Message::seq).containsExactlyInAnyOrderElementsOf(seqs);
    assertInLaneOrder(farEnd.stored);
    // most urgent first: CRITICAL drained before the first LOW was stored
    int firstLow = indexOf(farEnd.stored, Priority.LOW);
    int lastCritical = lastIndexOf(farEnd.stored, Priority.CRITICAL);
    assertThat(lastCritical).isLessThan(firstLow);
  }

  @Test
  void anInjectedTransportAndLinkMonitorAreTheOnesTheEngineUsesAndTheTransportOutlivesIt() {
    List<Long> seqs = append(200, "a", "b");
    SyncConfig config = config().build();
    try (HttpTransport transport = new HttpTransport(config.transport(), Clock.systemUTC())) {
      LinkMonitor monitor = new LinkMonitor(transport, config.link(), Clock.systemUTC());
      List<LinkState> seen = new CopyOnWriteArrayList<>();
      monitor.addListener((from, to) -> seen.add(to));
      try (SyncEngine engine = SyncEngine.builder(outbox, config).transport(transport, false)
          .linkMonitor(monitor).start()) {
        assertThat(engine.linkMonitor()).isSameAs(monitor);
        awaitDrained(engine);
        assertThat(seen).contains(LinkState.ONLINE);
        long counted = engine.status().requests(); // the heartbeat may add one before the next read
        assertThat(counted).isPositive().isLessThanOrEqualTo(transport.traffic().requests());
      }
      assertThat(farEnd.stored).extracting(Message::seq).containsExactlyInAnyOrderElementsOf(seqs);
      // not owned by the engine: still usable after it closed
      assertThat(transport.probe()).isInstanceOf(SendOutcome.Answered.class);
    }
  }

  @Test
  void aServerThatDoesNotSeeTheChainGetsUnchainedBatchesAfterItsFirstRefusal() {
    farEnd.advertisesChain = true;
    farEnd.forgetsChains = true;
    List<Long> seqs = append(1000, "a", "b", "c", "d", "e", "f", "g", "h");
    try (SyncEngine engine = SyncEngine.start(outbox, config().maxInFlight(4).build())) {
      awaitDrained(engine);
      assertThat(engine.status().delivered()).isEqualTo(1000);
      assertThat(engine.status().retries()).as("the refused chained batches, sent again").isPositive();
    }
    assertThat(farEnd.stored).extracting(Message::seq).containsExactlyInAnyOrderElementsOf(seqs);
    assertInLaneOrder(farEnd.stored);
    // 25+ batches; once refused with its predecessor answered, the engine stops chaining for a
    // minute: only the batches already chained when that answer came are refused. At most
    // maxInFlight (4) are leased at once, but on a loaded machine (CI, seen once: 6) a chained
    // batch refused before the answer that starts the pause is re-leased chained and counts
    // again; what matters is that chaining stops, not after exactly how many
    assertThat(farEnd.chainedRequests.get()).isBetween(1, 2 * 4);
    assertThat(farEnd.ingestRequests.get()).isGreaterThanOrEqualTo(25);
  }

  @Test
  void aRejectedRecordIsDeadLetteredWithTheServersReason() {
    outbox.append("ok", "1".getBytes(StandardCharsets.UTF_8), Priority.NORMAL);
    long bad = outbox.append("bad/x", "2".getBytes(StandardCharsets.UTF_8), Priority.NORMAL);
    outbox.append("ok", "3".getBytes(StandardCharsets.UTF_8), Priority.NORMAL);
    try (SyncEngine engine = SyncEngine.start(outbox, config().build())) {
      awaitDrained(engine);
      assertThat(engine.status().deadLettered()).isEqualTo(1);
      assertThat(engine.status().delivered()).isEqualTo(2);
    }
    List<DeadLetter> dead = outbox.deadLetters(0, 10);
    assertThat(dead).singleElement().satisfies(d -> {
      assertThat(d.message().seq()).isEqualTo(bad);
      assertThat(d.reason()).isEqualTo("topic bad/x is not allowed");
    });
  }

  @Test
  void a413SplitsTheBatchAndTheEngineLearnsTheSize() {
    farEnd.maxRecords = 7;
    List<Long> seqs = append(100, "a");
    try (SyncEngine engine = SyncEngine.start(outbox, config().build())) {
      awaitDrained(engine);
      assertThat(engine.status().deadLettered()).isZero();
    }
    assertThat(farEnd.stored).extracting(Message::seq).containsExactlyInAnyOrderElementsOf(seqs);
    assertInLaneOrder(farEnd.stored);
    assertThat(farEnd.batchSizes).allMatch(n -> n <= 7);
  }

  @Test
  void aBatchSizeLearnedFromA413GrowsBackOnceTheServerTakesMore() {
    farEnd.maxRecords = 7;
    append(60, "a");
    try (SyncEngine engine = SyncEngine.start(outbox, config().batchGrowAfter(2).build())) {
      awaitDrained(engine);
      assertThat(farEnd.batchSizes).allMatch(n -> n <= 7);
      farEnd.maxRecords = Integer.MAX_VALUE; // the proxy in front of the server was reconfigured
      farEnd.batchSizes.clear();
      append(400, "a");
      engine.wake();
      awaitDrained(engine);
      assertThat(engine.status().deadLettered()).isZero();
    }
    // doubling every 2 batches from the learned size gets back to the configured 40
    assertThat(farEnd.batchSizes).contains(40);
    assertThat(farEnd.batchSizes.indexOf(40)).isLessThan(30);
    assertThat(farEnd.stored).hasSize(460);
    assertInLaneOrder(farEnd.stored);
  }

  @Test
  void authFailurePausesWithoutDeadLetteringOrAStorm() {
    farEnd.forcedStatus.set(401);
    append(20, "a");
    try (SyncEngine engine = SyncEngine.start(outbox, config().build())) {
      await().atMost(Duration.ofSeconds(5)).until(() -> engine.status().pausedBy() == ErrorKind.AUTH);
      SyncStatus st = engine.status();
      assertThat(st.lastErrorKind()).isEqualTo(ErrorKind.AUTH);
      assertThat(st.lastError()).contains("401");
      // one try per authRetryInterval (300 ms): over 1 s a handful of requests, not a storm
      int before = farEnd.ingestRequests.get();
      await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
      assertThat(farEnd.ingestRequests.get() - before).isBetween(1, 5);
      assertThat(outbox.stats().deadLetters()).isZero();

      farEnd.forcedStatus.set(0);
      awaitDrained(engine);
      assertThat(engine.status().paused()).isFalse();
    }
    assertThat(farEnd.stored).hasSize(20);
  }

  private static void assertInLaneOrder(List<Message> stored) {
    Map<String, Long> lastSeqPerLane = new LinkedHashMap<>();
    for (Message m : stored) {
      String lane = m.topic() + "/" + m.priority();
      Long prev = lastSeqPerLane.put(lane, m.seq());
      assertThat(prev == null || prev < m.seq()).as("order in lane %s at %s", lane, m.seq()).isTrue();
    }
  }

  private static int indexOf(List<Message> ms, Priority p) {
    for (int i = 0; i < ms.size(); i++) {
      if (ms.get(i).priority() == p) {
        return i;
      }
    }
    return -1;
  }

  private static int lastIndexOf(List<Message> ms, Priority p) {
    for (int i = ms.size() - 1; i >= 0; i--) {
      if (ms.get(i).priority() == p) {
        return i;
      }
    }
    return -1;
  }
}
