package dev.outpost.core.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ServerMergeTest {
  private static final long T0 = 1_764_748_800_000L;
  private final HlcClock server = new HlcClock("server", Clock.fixed(Instant.ofEpochMilli(T0 + 1_000), ZoneOffset.UTC),
      HlcClock.DEFAULT_MAX_SKEW);

  private static Map<String, JsonNode> set(String field, String value) {
    Map<String, JsonNode> m = new HashMap<>();
    m.put(field, value == null ? null : TextNode.valueOf(value));
    return m;
  }

  private static CollectionRules rules(CollectionRules.Conflict c) {
    return new CollectionRules("orders", c, Set.of("qty"), Set.of("tags"), CollectionRules.Access.READ_WRITE, 0);
  }

  private static Hlc at(long dt, String node) {
    return new Hlc(T0 + dt, 0, node);
  }

  @Test
  void lwwPicksTheLaterWriteAndRecordsNothing() {
    Document s = new Document("orders", "wo-1");
    Document a = new Document("orders", "wo-1");
    Document b = new Document("orders", "wo-1");
    Op fromA = a.patch(at(5, "a"), set("status", "done"));
    Op fromB = b.patch(at(3, "b"), set("status", "blocked"));
    assertThat(ServerMerge.apply(s, fromA, rules(CollectionRules.Conflict.LWW), server).conflicts()).isEmpty();
    assertThat(ServerMerge.apply(s, fromB, rules(CollectionRules.Conflict.LWW), server).conflicts()).isEmpty();
    assertThat(s.register("status")).isEqualTo(TextNode.valueOf("done"));
  }

  @Test
  void manualKeepsTheCurrentValueRecordsBothAndEveryReplicaAgrees() {
    CollectionRules manual = rules(CollectionRules.Conflict.MANUAL);
    Document s = new Document("orders", "wo-1");
    ServerMerge.apply(s, s.patch(server.now(), set("status", "open")), manual, server);
    Document a = s.copy();
    Document b = s.copy();
    // both took the server's state (and so its time) before writing offline
    Op fromA = a.patch(at(5_000, "a"), set("status", "done"));
    a.apply(fromA);
    Op fromB = b.patch(at(9_000, "b"), set("status", "blocked")); // later, but it had not seen a's write
    b.apply(fromB);

    ServerMerge.Outcome first = ServerMerge.apply(s, fromA, manual, server);
    assertThat(first.conflicts()).as("a saw the current value: an update").isEmpty();
    ServerMerge.Outcome second = ServerMerge.apply(s, fromB, manual, server);
    assertThat(second.conflicts()).singleElement().satisfies(c -> {
      assertThat(c.field()).isEqualTo("status");
      assertThat(c.current()).isEqualTo(TextNode.valueOf("done"));
      assertThat(c.currentAt().node()).isEqualTo("a");
      assertThat(c.proposed()).isEqualTo(TextNode.valueOf("blocked"));
      assertThat(c.proposedAt().node()).isEqualTo("b");
    });
    assertThat(second.applied()).hasSize(2);
    assertThat(s.register("status")).as("nobody wins silently: the current value stays").isEqualTo(TextNode.valueOf("done"));

    // the replicas take the server's state and agree with it
    a.merge(s);
    b.merge(s);
    assertThat(a.view()).isEqualTo(s.view());
    assertThat(b.view()).isEqualTo(s.view());

    // a person picks b's value
    Op resolution = ServerMerge.resolve(s, second.conflicts().get(0), TextNode.valueOf("blocked"), server);
    assertThat(ServerMerge.apply(s, resolution, manual, server).conflicts()).isEmpty();
    b.merge(s);
    assertThat(b.register("status")).isEqualTo(TextNode.valueOf("blocked"));
  }

  @Test
  void serverWinsKeepsTheBackOfficeValueAgainstAConcurrentDeviceWrite() {
    CollectionRules sw = rules(CollectionRules.Conflict.SERVER_WINS);
    Document s = new Document("orders", "wo-1");
    Document device = s.copy();
    Op fromDevice = device.patch(at(900, "gw-1"), set("price", "9.99"));
    device.apply(fromDevice);
    ServerMerge.apply(s, s.patch(server.now(), set("price", "12.50")), sw, server);
    ServerMerge.Outcome o = ServerMerge.apply(s, fromDevice, sw, server);
    assertThat(o.conflicts()).isEmpty();
    assertThat(s.register("price")).isEqualTo(TextNode.valueOf("12.50"));
    device.merge(s);
    assertThat(device.register("price")).isEqualTo(TextNode.valueOf("12.50"));
    // a device update of a value it has seen goes through
    Op update = device.patch(at(3_000, "gw-1"), set("price", "11.00")); // after it took the server's time
    ServerMerge.apply(s, update, sw, server);
    assertThat(s.register("price")).isEqualTo(TextNode.valueOf("11.00"));
  }

  @Test
  void countersAndSetsNeverConflict() {
    CollectionRules manual = rules(CollectionRules.Conflict.MANUAL);
    Document s = new Document("orders", "wo-1");
    Document a = new Document("orders", "wo-1");
    Document b = new Document("orders", "wo-1");
    Op ia = a.increment(at(1, "a"), "qty", 2);
    Op ib = b.increment(at(1, "b"), "qty", 3);
    Op ta = a.changeSet(at(2, "a"), "tags", List.of(TextNode.valueOf("x")), List.of());
    for (Op op : List.of(ia, ib, ta)) {
      assertThat(ServerMerge.apply(s, op, manual, server).conflicts()).isEmpty();
    }
    assertThat(s.counter("qty")).isEqualTo(5);
  }

  @Test
  void anOpAgainstTheRulesOrOverTheSizeLimitIsRefusedNamingTheRuleAndChangesNothing() {
    CollectionRules small = new CollectionRules("orders", CollectionRules.Conflict.LWW, Set.of("qty"), Set.of("tags"),
        CollectionRules.Access.READ_WRITE, 40);
    Document s = new Document("orders", "wo-1");
    ServerMerge.apply(s, s.patch(server.now(), set("status", "open")), small, server);
    String before = s.state();
    assertThatThrownBy(() -> ServerMerge.apply(s, s.patch(server.now(), set("qty", "3")), small, server))
        .hasMessageContaining("orders.qty is a counter");
    assertThatThrownBy(() -> ServerMerge.apply(s, s.increment(server.now(), "status", 1), small, server))
        .hasMessageContaining("orders.status is not a counter field");
    assertThatThrownBy(() -> ServerMerge.apply(s, s.changeSet(server.now(), "qty", List.of(), List.of()), small, server))
        .hasMessageContaining("orders.qty is not a set field");
    assertThatThrownBy(() -> ServerMerge.apply(s, s.patch(server.now(), set("note", "x".repeat(100))), small, server))
        .hasMessageContaining("over the collection's max_doc_bytes of 40");
    Hlc future = new Hlc(T0 + Duration.ofDays(365 * 14).toMillis(), 0, "gw-2040");
    assertThatThrownBy(() -> ServerMerge.apply(s, s.patch(future, set("status", "mine forever")), small, server))
        .isInstanceOf(ClockSkewException.class);
    assertThat(s.state()).isEqualTo(before);
  }

  /**
   * The size check takes a shortcut when the view's known size plus the most an op can add stays
   * within the limit. Seeded: random ops (long, escaped and non-ASCII strings, nested values,
   * counters, sets, deletes) near a small limit; every op is accepted or refused exactly as
   * measuring the view after it would decide, and a refused one changes nothing.
   */
  @Test
  void theSizeLimitDecidesAsMeasuringTheViewWould() {
    long seed = Long.getLong("outpost.seed", System.nanoTime());
    System.out.println("ServerMergeTest size seed " + seed + " (rerun with -Doutpost.seed=" + seed + ")");
    SplittableRandom r = new SplittableRandom(seed);
    com.fasterxml.jackson.databind.node.JsonNodeFactory f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
    String[] alphabet = {"a", "Z", "7", "\"", "\\", "\n", "\u0001", "é", "€", "😀", "\uD800"};
    int accepted = 0;
    int refused = 0;
    for (int history = 0; history < 300; history++) {
      int limit = r.nextInt(60, 400);
      CollectionRules rules = new CollectionRules("orders", CollectionRules.Conflict.LWW, Set.of("qty"), Set.of("tags"),
          CollectionRules.Access.READ_WRITE, limit);
      Document doc = new Document("orders", "wo-" + history);
      for (int step = 0; step < 40; step++) {
        if (r.nextInt(5) == 0 && doc.viewJson() != null) { // as the store does: the stored view's size
          doc.viewBytesAtMost(CollectionRules.utf8Length(doc.viewJson()) + r.nextInt(3));
        }
        StringBuilder text = new StringBuilder();
        for (int k = r.nextInt(0, 30); k > 0; k--) {
          text.append(alphabet[r.nextInt(alphabet.length)]);
        }
        Hlc t = server.now();
        Op op = switch (r.nextInt(8)) {
          case 0, 1 -> doc.patch(t, set("f" + r.nextInt(4), r.nextInt(6) == 0 ? null : text.toString()));
          case 2 -> {
            Map<String, JsonNode> fields = new HashMap<>();
            fields.put("n" + r.nextInt(2), r.nextBoolean() ? f.numberNode(r.nextLong()) : f.numberNode(r.nextDouble() * 1e300));
            fields.put("o", f.objectNode().put(text.toString(), r.nextInt()).set("a", f.arrayNode().add(text.toString()).addNull()));
            yield doc.patch(t, fields);
          }
          case 3, 4 -> doc.increment(t, "qty", r.nextLong(-1_000_000_000_000L, 1_000_000_000_000L));
          case 5, 6 -> doc.changeSet(t, "tags", List.of(TextNode.valueOf(text.toString())),
              r.nextBoolean() ? List.of(TextNode.valueOf(text.toString())) : List.of());
          default -> doc.delete(t);
        };
        Document expected = doc.copy().apply(op);
        String view = expected.viewJson();
        boolean fits = view == null || CollectionRules.utf8Length(view) <= limit;
        String before = doc.state();
        if (fits) {
          ServerMerge.apply(doc, op, rules, server);
          accepted++;
          assertThat(doc.state()).as("seed %d history %d step %d", seed, history, step).isEqualTo(expected.state());
        } else {
          assertThatThrownBy(() -> ServerMerge.apply(doc, op, rules, server))
              .as("seed %d history %d step %d", seed, history, step)
              .hasMessageContaining("max_doc_bytes of " + limit);
          refused++;
          assertThat(doc.state()).isEqualTo(before);
        }
      }
    }
    assertThat(accepted).isGreaterThan(1000);
    assertThat(refused).isGreaterThan(100);
  }

  @Test
  void utf8LengthIsWhatGetBytesGives() {
    for (String s : List.of("", "abc", "é€😀", "a\uD800b", "\uDC00", "x\uD83D", "\u07FF\u0800\uFFFF")) {
      assertThat(CollectionRules.utf8Length(s)).as(s).isEqualTo(s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }
  }

  /**
   * Seeded histories under each strategy: replicas write offline from their own state, the server
   * merges their ops in a random arrival order, then every replica merges the server's state: all
   * equal the server, whatever the order.
   */
  @Test
  void everyReplicaEndsAtTheServersStateUnderEveryStrategy() {
    long seed = Long.getLong("outpost.seed", System.nanoTime());
    System.out.println("ServerMergeTest seed " + seed + " (rerun with -Doutpost.seed=" + seed + ")");
    SplittableRandom r = new SplittableRandom(seed);
    for (int history = 0; history < 600; history++) {
      CollectionRules.Conflict strategy = CollectionRules.Conflict.values()[history % 3];
      HlcClock srv = new HlcClock("server", Clock.fixed(Instant.ofEpochMilli(T0 + 120_000), ZoneOffset.UTC),
          HlcClock.DEFAULT_MAX_SKEW);
      Document s = new Document("orders", "wo-1");
      int n = r.nextInt(2, 6);
      List<Document> replicas = new ArrayList<>();
      List<Op> ops = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Document d = new Document("orders", "wo-1");
        replicas.add(d);
        long t = r.nextLong(0, 60_000);
        for (int k = r.nextInt(1, 6); k > 0; k--) {
          Hlc hlc = new Hlc(T0 + t++, 0, "node-" + i);
          Op op = switch (r.nextInt(4)) {
            case 0 -> d.increment(hlc, "qty", r.nextInt(-3, 5));
            case 1 -> d.changeSet(hlc, "tags", List.of(TextNode.valueOf("t" + r.nextInt(3))), List.of());
            default -> d.patch(hlc, set(r.nextBoolean() ? "status" : "note", r.nextInt(5) == 0 ? null : "v" + r.nextInt(4)));
          };
          d.apply(op);
          ops.add(op);
        }
        if (r.nextBoolean()) { // some replicas took an earlier state of the server
          d.merge(s);
        }
      }
      for (int i = ops.size() - 1; i > 0; i--) {
        int j = r.nextInt(i + 1);
        Op t = ops.get(i);
        ops.set(i, ops.get(j));
        ops.set(j, t);
      }
      for (Op op : ops) {
        ServerMerge.apply(s, op, rules(strategy), srv);
      }
      for (Document d : replicas) {
        d.merge(s);
        assertThat(d.view()).as("history %d (%s, seed %d)", history, strategy, seed).isEqualTo(s.view());
      }
    }
  }
}
