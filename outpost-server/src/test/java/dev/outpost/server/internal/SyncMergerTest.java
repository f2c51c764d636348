package dev.outpost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.Hlc;
import dev.outpost.core.sync.HlcClock;
import dev.outpost.core.sync.Op;
import dev.outpost.server.SyncCollections;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The merge's last resort: an op that passed the ingest check but can no longer be applied when
 * its transaction merges it (a concurrent write took its document near the size limit). Nothing
 * of it stays on the server, the device's copy is brought back by a write stamped after it, and
 * it is counted.
 */
class SyncMergerTest {
  private static final long T0 = 1_764_748_800_000L;

  @Test
  void anOpNoLongerApplicableAtMergeIsWrittenOverCountedAndTheDeviceConverges() {
    SyncCollections collections = SyncCollections.parse(
        "collections:\n  orders:\n    devices: read-write\n    max_doc_bytes: 60\n", "test");
    HlcClock clock = new HlcClock("server-1", Clock.fixed(Instant.ofEpochMilli(T0 + 1_000), ZoneOffset.UTC),
        HlcClock.DEFAULT_MAX_SKEW);
    SyncMerger merger = new SyncMerger(() -> collections, clock, null, null); // merge reads neither
    Document server = new Document("orders", "wo-1");
    server.apply(server.patch(clock.now(), fields("note", "x".repeat(30))));
    Document device = server.copy();
    Op tooBig = device.patch(new Hlc(T0 + 2_000, 0, "dev-1.s1"), fields("note", "y".repeat(80)));
    device.apply(tooBig);

    Map<String, Document> docs = new HashMap<>(Map.of("orders/wo-1", server));
    SyncMerger.Merged merged = merger.merge(docs, List.of(tooBig));

    assertThat(merger.refusedAtMerge()).isEqualTo(1);
    assertThat(merged.changed()).containsExactly(server);
    assertThat(server.register("note").asText()).isEqualTo("x".repeat(30));
    assertThat(server.registerHlc("note")).isGreaterThan(tooBig.hlc());
    device.merge(server);
    assertThat(device.register("note").asText()).as("the device comes back to the server's value").isEqualTo("x".repeat(30));
  }

  private static Map<String, JsonNode> fields(String f, String v) {
    Map<String, JsonNode> m = new HashMap<>();
    m.put(f, TextNode.valueOf(v));
    return m;
  }
}
