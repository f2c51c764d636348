package dev.outpost.core.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The ops decoder against broken input, as the ingest decoder is fuzzed: valid ops mutated byte by
 * byte, truncated, retyped; each either decodes to a valid op or is an IllegalArgumentException
 * naming the problem, nothing else (seed printed).
 */
class SyncJsonFuzzTest {

  private static List<byte[]> samples() {
    Document d = new Document("orders", "wo-1");
    Hlc h = new Hlc(1_764_748_800_000L, 2, "gw-1");
    Map<String, JsonNode> f = new HashMap<>();
    f.put("status", TextNode.valueOf("done"));
    f.put("note", null);
    d.apply(d.patch(h, f));
    List<byte[]> out = new ArrayList<>();
    out.add(SyncJson.encode(d.patch(new Hlc(h.wallMillis() + 1, 0, "gw-1"), f)));
    out.add(SyncJson.encode(d.increment(h, "qty", 3)));
    out.add(SyncJson.encode(d.changeSet(h, "tags", List.of(TextNode.valueOf("a")), List.of(TextNode.valueOf("b")))));
    out.add(SyncJson.encode(d.delete(h)));
    return out;
  }

  @Test
  void brokenOpsAreRefusedWithAReasonAndNothingElse() {
    long seed = Long.getLong("outpost.seed", System.nanoTime());
    System.out.println("SyncJsonFuzzTest seed " + seed + " (rerun with -Doutpost.seed=" + seed + ")");
    SplittableRandom r = new SplittableRandom(seed);
    List<byte[]> samples = samples();
    int refused = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] b = samples.get(r.nextInt(samples.size())).clone();
      switch (r.nextInt(3)) {
        case 0 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
        case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length));
        default -> {
          String s = new String(b, StandardCharsets.UTF_8);
          String[] swaps = {"\"gw-1\"", "3", "[5,0]", "\"done\"", "{}", "[]", "null", "-1", "1e400", "\"\""};
          s = s.replaceFirst(java.util.regex.Pattern.quote(swaps[r.nextInt(swaps.length)]), swaps[r.nextInt(swaps.length)]);
          b = s.getBytes(StandardCharsets.UTF_8);
        }
      }
      try {
        Op op = SyncJson.decodeOp(b);
        assertThat(op.hlc()).isNotNull();
      } catch (IllegalArgumentException e) {
        assertThat(e.getMessage()).isNotBlank();
        refused++;
      }
    }
    assertThat(refused).as("most mutations are refused").isGreaterThan(5_000);
  }

  @Test
  void deepOrHugeJsonAndWrongKindsAreRefusedNamingTheField() {
    String deep = "[".repeat(200) + "]".repeat(200);
    byte[] deepPatch = ("{\"op\":\"patch\",\"collection\":\"c\",\"id\":\"x\",\"hlc\":\"1.0@n\",\"set\":{\"f\":" + deep + "}}")
        .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> SyncJson.decodeOp(deepPatch)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nest");
    byte[] notANumber = "{\"op\":\"increment\",\"collection\":\"c\",\"id\":\"x\",\"hlc\":\"1.0@n\",\"field\":\"qty\",\"delta\":\"three\",\"totals\":[1,0]}"
        .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> SyncJson.decodeOp(notANumber)).hasMessageContaining("\"delta\" must be a whole number");
    byte[] unknown = "{\"op\":\"merge\",\"collection\":\"c\",\"id\":\"x\",\"hlc\":\"1.0@n\"}".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> SyncJson.decodeOp(unknown)).hasMessageContaining("unknown op \"merge\"");
    byte[] setNotArray = "{\"op\":\"set\",\"collection\":\"c\",\"id\":\"x\",\"hlc\":\"1.0@n\",\"field\":\"tags\",\"add\":\"a\",\"remove\":[]}"
        .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> SyncJson.decodeOp(setNotArray)).hasMessageContaining("\"add\" must be a JSON array");
  }
}
