package dev.outpost.core.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The binary state and pull page forms: what goes in comes out (values of every JSON kind, tombstones,
 * counters, sets), they are much smaller than JSON, and broken input (mutated, truncated, lying
 * counts) is an IllegalArgumentException naming the problem and nothing else (seed printed).
 */
class SyncBinaryTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Document sample() throws Exception {
    Document d = new Document("orders", "wo-1");
    Hlc h = new Hlc(1_764_748_800_000L, 2, "gw-1");
    Map<String, JsonNode> f = new LinkedHashMap<>();
    f.put("status", TextNode.valueOf("done"));
    f.put("qtyText", JsonNodeFactory.instance.numberNode(12));
    f.put("big", JsonNodeFactory.instance.numberNode(1L << 40));
    f.put("price", JsonNodeFactory.instance.numberNode(9.95));
    f.put("paid", JsonNodeFactory.instance.booleanNode(true));
    f.put("where", JSON.readTree("{\"lat\":52.5,\"lon\":13.4,\"tags\":[1,\"x\",null]}"));
    f.put("huge", JSON.readTree("123456789012345678901234567890"));
    d.apply(d.patch(h, f));
    d.apply(d.patch(new Hlc(h.wallMillis() + 5, 0, "server"), Map.of("note", TextNode.valueOf("ü ✓"))));
    d.apply(d.increment(new Hlc(h.wallMillis() + 6, 0, "gw-2"), "qty", 7));
    d.apply(d.increment(new Hlc(h.wallMillis() + 7, 0, "gw-1"), "qty", -2));
    d.apply(d.changeSet(new Hlc(h.wallMillis() + 8, 1, "gw-2"), "tags",
        List.of(TextNode.valueOf("urgent"), JSON.readTree("{\"b\":1,\"a\":2}")), List.of()));
    d.apply(d.changeSet(new Hlc(h.wallMillis() + 9, 0, "gw-1"), "tags", List.of(), List.of(TextNode.valueOf("urgent"))));
    return d;
  }

  @Test
  void aStateRoundTripsExactlyAndIsMuchSmallerThanJson() throws Exception {
    Document d = sample();
    byte[] b = SyncBinary.encode(d);
    Document back = SyncBinary.decode("orders", "wo-1", b);
    assertThat(back.state()).isEqualTo(d.state());
    assertThat(back.view()).isEqualTo(d.view());
    assertThat(back.view().get("huge").bigIntegerValue()).isEqualTo(new java.math.BigInteger("123456789012345678901234567890"));
    int json = SyncJson.encode(d).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    assertThat(b.length).as("binary %d bytes vs JSON %d", b.length, json).isLessThan(json / 2);

    Document tomb = sample();
    tomb.apply(tomb.delete(new Hlc(1_764_748_900_000L, 0, "server")));
    Document tombBack = SyncBinary.decode("orders", "wo-1", SyncBinary.encode(tomb));
    assertThat(tombBack.exists()).isFalse();
    assertThat(tombBack.state()).isEqualTo(tomb.state());
    assertThat(SyncBinary.decode("c", "empty", SyncBinary.encode(new Document("c", "empty"))).state())
        .isEqualTo(new Document("c", "empty").state());
  }

  @Test
  void aCounterAWholeFleetIncrementsRoundTrips() {
    Document d = new Document("stock", "sku-1");
    for (int i = 0; i < 3000; i++) {
      d.apply(d.increment(new Hlc(1_764_748_800_000L + i, 0, "gw-" + i), "onHand", i % 7 - 3));
    }
    Document back = SyncBinary.decode("stock", "sku-1", SyncBinary.encode(d));
    assertThat(back.state()).isEqualTo(d.state());
    assertThat(back.counter("onHand")).isEqualTo(d.counter("onHand"));
  }

  @Test
  void aPullPageRoundTripsItsChangesInOrder() throws Exception {
    Document a = sample();
    Document b = new Document("prices", "p-9");
    b.apply(b.patch(new Hlc(5, 0, "server"), Map.of("eur", JsonNodeFactory.instance.numberNode(3))));
    byte[] page = new PullPage.Writer("CURSOR", true, false, null, 3, 0)
        .state("orders", "wo-1", 10, SyncBinary.encode(a))
        .removed("orders", "wo-7", 11)
        .state("prices", "p-9", 15, SyncBinary.encode(b))
        .finish();
    PullPage p = PullPage.decodeBinary(page);
    assertThat(p.cursor()).isEqualTo("CURSOR");
    assertThat(p.more()).isTrue();
    assertThat(p.resync()).isFalse();
    assertThat(p.changes()).extracting(PullPage.Change::collection, PullPage.Change::id, PullPage.Change::seq,
        PullPage.Change::removed).containsExactly(
            org.assertj.core.groups.Tuple.tuple("orders", "wo-1", 10L, false),
            org.assertj.core.groups.Tuple.tuple("orders", "wo-7", 11L, true),
            org.assertj.core.groups.Tuple.tuple("prices", "p-9", 15L, false));
    assertThat(p.changes().get(0).state().state()).isEqualTo(a.state());
    assertThat(p.changes().get(2).state().view()).isEqualTo(b.view());

    PullPage resync = PullPage.decodeBinary(new PullPage.Writer("C0", true, true, "compacted", 0, 0).finish());
    assertThat(resync.resync()).isTrue();
    assertThat(resync.reason()).isEqualTo("compacted");
    assertThat(resync.changes()).isEmpty();
    assertThatThrownBy(() -> new PullPage.Writer("c", false, false, null, 1, 0).finish())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void brokenStatesAndPagesAreRefusedWithAReasonAndNothingElse() throws Exception {
    long seed = Long.getLong("outpost.seed", System.nanoTime());
    System.out.println("SyncBinaryTest seed " + seed + " (rerun with -Doutpost.seed=" + seed + ")");
    SplittableRandom r = new SplittableRandom(seed);
    Document d = sample();
    byte[] state = SyncBinary.encode(d);
    Document t = sample();
    t.apply(t.delete(new Hlc(1_764_748_900_000L, 0, "server")));
    byte[] page = new PullPage.Writer("CURSOR", false, false, null, 3, 0)
        .state("orders", "wo-1", 10, state).removed("orders", "wo-2", 11).state("orders", "wo-3", 12, SyncBinary.encode(t))
        .finish();
    List<byte[]> samples = new ArrayList<>(List.of(state, page));
    int refused = 0;
    for (int i = 0; i < 30_000; i++) {
      int which = r.nextInt(samples.size());
      byte[] b = samples.get(which).clone();
      switch (r.nextInt(3)) {
        case 0 -> {
          for (int k = r.nextInt(1, 4); k > 0; k--) {
            b[r.nextInt(b.length)] = (byte) r.nextInt(256);
          }
        }
        case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length));
        default -> {
          int at = r.nextInt(b.length);
          b[at] = (byte) (0x80 | r.nextInt(128)); // a varint that runs on
          if (at + 1 < b.length) {
            b[at + 1] = (byte) 0xff;
          }
        }
      }
      try {
        if (which == 0) {
          Document x = SyncBinary.decode("orders", "wo-1", b);
          x.view(); // a decoded state is usable
          SyncBinary.encode(x);
        } else {
          PullPage p = PullPage.decodeBinary(b);
          p.changes().forEach(c -> {
            if (c.state() != null) {
              c.state().view();
            }
          });
        }
      } catch (IllegalArgumentException e) {
        assertThat(e.getMessage()).isNotBlank();
        refused++;
      }
    }
    assertThat(refused).as("most mutations are refused").isGreaterThan(10_000);
  }

  @Test
  void deepJsonInAStateIsRefused() {
    byte[] deep = ("[".repeat(100) + "]".repeat(100)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    dev.outpost.core.internal.ByteSink b = new dev.outpost.core.internal.ByteSink(16);
    b.u8(1);
    b.varint(1);
    b.string("n");
    b.varint(0);
    b.varint(1);
    b.string("f");
    b.varint(0);
    b.varint(0);
    b.varint(0);
    b.u8(6);
    b.varint(deep.length);
    b.bytes(deep, 0, deep.length);
    b.varint(0);
    b.varint(0);
    b.varint(0);
    b.u8(0);
    assertThatThrownBy(() -> SyncBinary.decode("c", "x", b.toByteArray()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("f");
  }
}
