package dev.outpost.core.sync;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded random histories across 2 to 8 replicas: each makes ops on a few shared documents from
 * its own state (registers, counters, sets, deletes), hears some of the others' ops along the way
 * (shuffled, duplicated, late), and at the end hears all of them, again shuffled and duplicated.
 * Every replica must then hold the same state of every document, equal to the state merged
 * replica by replica in any order. The seed is printed; rerun one with -Doutpost.seed=N.
 */
class ConvergencePropertyTest {
  private static final String[] IDS = {"wo-1", "wo-2", "wo-3"};
  private static final String[] REGISTERS = {"status", "assignee", "note"};
  private static final String[] COUNTERS = {"qty", "visits"};
  private static final String[] SETS = {"tags"};

  /** A node with its own clock (drifting, stepping back) and its own replica of the documents. */
  private static final class Replica {
    final String node;
    final HandClock time;
    final HlcClock clock;
    final Map<String, Document> docs = new HashMap<>();
    /** Increments this replica made, per document and field: what every counter must sum to. */
    final Map<String, Long> incremented = new HashMap<>();

    Replica(String node, long start) {
      this.node = node;
      this.time = new HandClock(start);
      this.clock = new HlcClock(node, time, Duration.ofDays(3650));
    }

    Document doc(String id) {
      return docs.computeIfAbsent(id, i -> new Document("orders", i));
    }

    void hear(Op op) {
      clock.receive(op.hlc());
      doc(op.id()).apply(op);
    }
  }

  @Test
  void everyReplicaConvergesWhateverTheOrderAndDuplicatesOfDelivery() {
    long seed = Long.getLong("outpost.seed", System.nanoTime());
    System.out.println("ConvergencePropertyTest seed " + seed + " (rerun with -Doutpost.seed=" + seed + ")");
    SplittableRandom master = new SplittableRandom(seed);
    for (int history = 0; history < 1500; history++) {
      long historySeed = master.nextLong();
      runHistory(new SplittableRandom(historySeed), "history " + history + " (seed " + seed + ", history seed " + historySeed + ")");
    }
  }

  private void runHistory(SplittableRandom r, String name) {
    int n = r.nextInt(2, 9);
    List<Replica> replicas = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      // clocks up to a minute apart
      replicas.add(new Replica("node-" + i, 1_764_748_800_000L + r.nextLong(0, 60_000)));
    }
    List<Op> all = new ArrayList<>();
    int steps = r.nextInt(5, 60);
    for (int step = 0; step < steps; step++) {
      Replica me = replicas.get(r.nextInt(n));
      me.time.millis += r.nextInt(10) == 0 ? -r.nextInt(5_000) : r.nextInt(0, 50); // sometimes steps back
      Op made = randomOp(r, me);
      me.doc(made.id()).apply(made);
      Op op = SyncJson.decodeOp(SyncJson.encode(made)); // what travels is the JSON form
      assertThat(SyncJson.encode(op)).isEqualTo(SyncJson.encode(made));
      all.add(op);
      // gossip: some replicas hear some ops now (maybe old ones, maybe twice)
      int hears = r.nextInt(0, 3);
      for (int h = 0; h < hears; h++) {
        replicas.get(r.nextInt(n)).hear(all.get(r.nextInt(all.size())));
      }
    }
    // heal: everyone hears everything, shuffled, some twice
    for (Replica rep : replicas) {
      List<Op> delivery = new ArrayList<>(all);
      int dups = r.nextInt(0, all.size() + 1);
      for (int d = 0; d < dups; d++) {
        delivery.add(all.get(r.nextInt(all.size())));
      }
      shuffle(delivery, r);
      delivery.forEach(rep::hear);
    }
    for (String id : IDS) {
      Document first = replicas.get(0).docs.get(id);
      for (Replica rep : replicas) {
        Document d = rep.docs.get(id);
        if (first == null) {
          assertThat(d).as(name + ": " + id + " on " + rep.node).isNull();
          continue;
        }
        assertThat(d.state()).as(name + ": state of " + id + " on " + rep.node).isEqualTo(first.state());
        assertThat(d.view()).as(name + ": view of " + id + " on " + rep.node).isEqualTo(first.view());
      }
      if (first == null) {
        continue;
      }
      // merging states replica by replica, in any order, gives the same document
      List<Replica> order = new ArrayList<>(replicas);
      shuffle(order, r);
      Document merged = new Document("orders", id);
      for (Replica rep : order) {
        merged.merge(rep.docs.get(id));
        merged.merge(rep.docs.get(id)); // idempotent
      }
      assertThat(merged.state()).as(name + ": merged state of " + id).isEqualTo(first.state());
      assertThat(SyncJson.decodeDocument(SyncJson.encode(first)).state()).as(name + ": JSON state of " + id)
          .isEqualTo(first.state());
      byte[] binary = SyncBinary.encode(first);
      Document fromBinary = SyncBinary.decode("orders", id, binary);
      assertThat(fromBinary.state()).as(name + ": binary state of " + id).isEqualTo(first.state());
      assertThat(SyncBinary.encode(fromBinary)).as(name + ": binary state of " + id + ", again").isEqualTo(binary);
      // with no delete, a counter is the sum of every increment ever made
      if (!first.hasTombstone()) {
        for (String c : COUNTERS) {
          long sum = 0;
          for (Replica rep : replicas) {
            sum += rep.incremented.getOrDefault(id + "/" + c, 0L);
          }
          assertThat(first.counter(c)).as(name + ": counter " + id + "/" + c).isEqualTo(sum);
        }
      }
    }
  }

  private static Op randomOp(SplittableRandom r, Replica me) {
    String id = IDS[r.nextInt(IDS.length)];
    Document d = me.doc(id);
    Hlc hlc = me.clock.now();
    int kind = r.nextInt(100);
    if (kind < 40) {
      Map<String, JsonNode> fields = new LinkedHashMap<>();
      int k = r.nextInt(1, 3);
      for (int i = 0; i < k; i++) {
        String f = REGISTERS[r.nextInt(REGISTERS.length)];
        fields.put(f, r.nextInt(6) == 0 ? null : value(r));
      }
      return d.patch(hlc, fields);
    } else if (kind < 65) {
      String f = COUNTERS[r.nextInt(COUNTERS.length)];
      long delta = r.nextInt(-5, 10);
      me.incremented.merge(id + "/" + f, delta, Long::sum);
      return d.increment(hlc, f, delta);
    } else if (kind < 90) {
      String f = SETS[r.nextInt(SETS.length)];
      List<JsonNode> add = new ArrayList<>();
      List<JsonNode> remove = new ArrayList<>();
      for (int i = r.nextInt(0, 3); i > 0; i--) {
        add.add(TextNode.valueOf("t" + r.nextInt(5)));
      }
      for (int i = r.nextInt(0, 2); i > 0; i--) {
        remove.add(TextNode.valueOf("t" + r.nextInt(5)));
      }
      return d.changeSet(hlc, f, add, remove);
    }
    // a delete erases this replica's counters too: the sum check only runs without deletes
    return d.delete(hlc);
  }

  private static JsonNode value(SplittableRandom r) {
    return switch (r.nextInt(6)) {
      case 0 -> IntNode.valueOf(r.nextInt(100));
      case 1 -> TextNode.valueOf("v" + r.nextInt(100));
      case 2 -> JsonNodeFactory.instance.numberNode(r.nextLong());
      case 3 -> JsonNodeFactory.instance.numberNode(r.nextDouble() * 1000 - 500);
      case 4 -> JsonNodeFactory.instance.booleanNode(r.nextBoolean());
      default -> JsonNodeFactory.instance.objectNode().put("b", r.nextInt(3)).put("a", r.nextInt(3));
    };
  }

  private static <T> void shuffle(List<T> list, SplittableRandom r) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      T t = list.get(i);
      list.set(i, list.get(j));
      list.set(j, t);
    }
  }
}
