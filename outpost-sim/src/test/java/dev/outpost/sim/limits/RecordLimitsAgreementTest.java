package dev.outpost.sim.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.outpost.core.Priority;
import dev.outpost.core.wire.RecordLimits;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxStats;
import dev.outpost.edge.sync.SyncConfig;
import dev.outpost.edge.sync.SyncEngine;
import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge and the server check a record with the same {@link RecordLimits}: a record the outbox
 * accepts is never dead-lettered later for a limit. Records are drawn around every limit (topics
 * near 512 UTF-8 bytes in 1- to 4-byte characters, NUL and lone surrogates, headers near 16 Ki
 * chars, payloads near 1 MiB), appended, and drained to a real server with default settings.
 */
class RecordLimitsAgreementTest {
  private static final String ADMIN = "admin-token";
  @TempDir Path dir;

  @Test
  void aTopicTheServerWouldRefuseIsRefusedAtAppendNotDeadLetteredLater() {
    try (Outbox outbox = Outbox.open(dir.resolve("outbox"), OutboxConfig.defaults())) {
      // the bug this closes: 600 chars passed the edge's old 1,024-char check, and the server refused it
      assertThatThrownBy(() -> outbox.append("t".repeat(600), new byte[1], Priority.HIGH))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("topic is 600 bytes, over the limit of 512");
      assertThatThrownBy(() -> outbox.append("a\0b", new byte[1], Priority.HIGH))
          .hasMessageContaining("NUL");
      assertThat(outbox.stats().pendingTotal()).isZero();
    }
  }

  @Test
  void everyRecordTheEdgeAcceptsIsStoredByADefaultServer() throws Exception {
    long seed = Long.getLong("outpost.seed", System.nanoTime());
    System.out.println("RecordLimitsAgreementTest seed " + seed + " (rerun with -Doutpost.seed=" + seed + ")");
    SplittableRandom random = new SplittableRandom(seed);
    try (OutpostServer server = OutpostServer.start(
            ServerConfig.builder().port(0).dataDir(dir.resolve("server")).adminToken(ADMIN).build());
        Outbox outbox = Outbox.open(dir.resolve("outbox"), OutboxConfig.builder().budgetBytes(256L << 20).build())) {
      String token = server.devices().add("dev-1");
      int accepted = 0;
      int refused = 0;
      for (int i = 0; i < 400; i++) {
        String topic = topic(random);
        Map<String, String> headers = headers(random);
        byte[] payload = new byte[payloadSize(random)];
        String expected = RecordLimits.DEFAULT.problem(topic, payload.length, headers);
        try {
          outbox.append(topic, payload, Priority.NORMAL, headers);
          accepted++;
          assertThat(expected).as("the edge took a record the server refuses").isNull();
        } catch (IllegalArgumentException e) {
          refused++;
          assertThat(expected).as("the edge refused a record the server takes: " + e.getMessage()).isNotNull();
        }
      }
      assertThat(accepted).as("records near the limits that pass").isGreaterThan(100);
      assertThat(refused).as("records over a limit").isGreaterThan(20);

      SyncConfig config = SyncConfig.builder(URI.create("http://127.0.0.1:" + server.port()), "dev-1", token)
          .maxBatchRecords(50).linger(Duration.ofMillis(5)).build();
      try (SyncEngine engine = SyncEngine.start(outbox, config)) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
          OutboxStats s = outbox.stats();
          return s.pendingTotal() == 0 && s.inFlight() == 0;
        });
        assertThat(outbox.deadLetters(0, 10)).as("dead letters").isEmpty();
        assertThat(engine.status().delivered()).isEqualTo(accepted);
      }
    }
  }

  /** Mostly near the 512-byte limit, in characters of 1 to 4 UTF-8 bytes; now and then a NUL or a lone surrogate. */
  private static String topic(SplittableRandom r) {
    int targetBytes = r.nextInt(10) == 0 ? r.nextInt(1, 40) : r.nextInt(400, 620);
    StringBuilder sb = new StringBuilder("s/");
    int bytes = 2;
    while (bytes < targetBytes) {
      switch (r.nextInt(4)) {
        case 0 -> { sb.append((char) ('a' + r.nextInt(26))); bytes += 1; }
        case 1 -> { sb.append('é'); bytes += 2; }
        case 2 -> { sb.append('€'); bytes += 3; }
        default -> { sb.appendCodePoint(0x1F600 + r.nextInt(40)); bytes += 4; }
      }
    }
    int spoil = r.nextInt(40);
    if (spoil == 0) {
      sb.insert(r.nextInt(sb.length()), '\0');
    } else if (spoil == 1) {
      sb.append('\uD83D'); // a high surrogate with nothing after it
    }
    return sb.toString();
  }

  private static Map<String, String> headers(SplittableRandom r) {
    Map<String, String> h = new HashMap<>();
    if (r.nextInt(3) == 0) {
      return h;
    }
    int total = r.nextInt(4) == 0 ? r.nextInt(15_000, 17_500) : r.nextInt(0, 200);
    int n = r.nextInt(1, 4);
    for (int i = 0; i < n; i++) {
      h.put("h" + i, "v".repeat(Math.max(0, total / n - 2)));
    }
    return h;
  }

  private static int payloadSize(SplittableRandom r) {
    return r.nextInt(20) == 0 ? (1 << 20) - 2 + r.nextInt(5) : r.nextInt(0, 300);
  }
}
