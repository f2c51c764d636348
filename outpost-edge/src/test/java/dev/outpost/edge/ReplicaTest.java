package dev.outpost.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.outpost.core.Message;
import dev.outpost.core.sync.CollectionRules;
import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.Hlc;
import dev.outpost.core.sync.Op;
import dev.outpost.core.sync.PullPage;
import dev.outpost.core.sync.SyncJson;
import dev.outpost.core.wire.Protocol;
import dev.outpost.edge.internal.SqliteReplica;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device replica on a real outbox file: local writes with their ops in one transaction, reads,
 * queries, the rules refused locally, pulled pages merged without losing pending local ops,
 * removals and resync, and what survives a reopen.
 */
class ReplicaTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final CollectionRules ORDERS = new CollectionRules("orders", CollectionRules.Conflict.LWW,
      Set.of("qty"), Set.of("tags"), CollectionRules.Access.READ_WRITE, 512);
  private static final CollectionRules PRICES = new CollectionRules("prices", CollectionRules.Conflict.SERVER_WINS,
      Set.of(), Set.of(), CollectionRules.Access.READ, 0);

  @TempDir Path dir;
  Outbox outbox;
  Replica replica;

  @BeforeEach
  void open() {
    outbox = Outbox.open(dir, OutboxConfig.builder().build());
    replica = Replica.open(outbox, ReplicaConfig.builder("gw-1").collection(ORDERS).collection(PRICES).build());
  }

  @AfterEach
  void close() {
    replica.close();
    outbox.close();
  }

  private static ObjectNode json(String s) {
    try {
      return (ObjectNode) JSON.readTree(s);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** The ops waiting in the outbox, decoded, in order. */
  private List<Op> pendingOps() {
    Lease lease = outbox.lease(LeaseRequest.of(1000));
    List<Op> ops = new ArrayList<>();
    for (Message m : lease.messages()) {
      assertThat(m.topic()).isEqualTo(Protocol.SYNC_TOPIC);
      ops.add(SyncJson.decodeOp(m.payload()));
    }
    outbox.release(lease.messages().stream().map(Message::seq).toList());
    return ops;
  }

  @Test
  void aLocalWriteIsReadableAtOnceAndItsOpWaitsInTheOutbox() {
    Replica.Documents orders = replica.collection("orders");
    assertThat(orders.put("wo-1", json("{\"status\":\"open\",\"site\":\"berlin\"}")).toString())
        .isEqualTo("{\"site\":\"berlin\",\"status\":\"open\"}");
    orders.patch("wo-1", json("{\"status\":\"done\",\"site\":null,\"qty\":{\"$inc\":5},\"tags\":{\"$add\":[\"urgent\"]}}"));
    orders.increment("wo-1", "qty", -2);
    orders.remove("wo-1", "tags", List.of(TextNode.valueOf("urgent")));
    assertThat(orders.get("wo-1").orElseThrow().toString()).isEqualTo("{\"qty\":3,\"status\":\"done\"}");

    List<Op> ops = pendingOps();
    assertThat(ops).hasSize(6); // put, patch (registers, increment, set add), increment, remove
    assertThat(ops).allSatisfy(op -> assertThat(op.hlc().node()).isEqualTo(replica.node()));
    assertThat(replica.node()).startsWith("gw-1.");
    // the ops alone rebuild the document, as the server will
    Document rebuilt = new Document("orders", "wo-1");
    ops.forEach(rebuilt::apply);
    assertThat(rebuilt.view().toString()).isEqualTo("{\"qty\":3,\"status\":\"done\"}");

    assertThat(replica.pendingOps()).isEqualTo(Map.of("orders", 6L, "prices", 0L));
    assertThat(orders.delete("wo-1")).isTrue();
    assertThat(orders.get("wo-1")).isEmpty();
    assertThat(orders.delete("wo-1")).as("already gone: nothing queued").isFalse();
    assertThat(pendingOps()).hasSize(7);
  }

  @Test
  void writesAgainstTheRulesAreRefusedLocallyAndQueueNothing() {
    Replica.Documents orders = replica.collection("orders");
    orders.put("wo-1", json("{\"status\":\"open\"}"));
    assertThatThrownBy(() -> replica.collection("prices").put("p-1", json("{\"eur\":3}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'prices' is read-only for devices");
    assertThatThrownBy(() -> orders.patch("wo-1", json("{\"qty\":{\"$inc\":\"five\"}}")))
        .hasMessageContaining("orders.qty is a counter");
    assertThatThrownBy(() -> orders.patch("wo-1", json("{\"tags\":\"a\"}"))).hasMessageContaining("orders.tags is a set");
    assertThatThrownBy(() -> orders.patch("wo-1", json("{\"note\":\"" + "x".repeat(600) + "\"}")))
        .hasMessageContaining("max_doc_bytes of 512");
    assertThatThrownBy(() -> orders.put("wo-1", json("{\"note\":" + "[".repeat(60) + "]".repeat(60) + "}")))
        .hasMessageContaining("nested deeper");
    assertThatThrownBy(() -> orders.put("a b", json("{}"))).hasMessageContaining("document id 'a b'");
    assertThatThrownBy(() -> replica.collection("nope")).hasMessageContaining("[orders, prices]");
    assertThat(orders.get("wo-1").orElseThrow().toString()).as("nothing written").isEqualTo("{\"status\":\"open\"}");
    assertThat(pendingOps()).as("nothing queued").hasSize(1);
  }

  @Test
  void aPulledChangeMergesWithAPendingLocalOpAndObserversHearBoth() throws Exception {
    List<Replica.Change> heard = new CopyOnWriteArrayList<>();
    replica.observe("orders", heard::add);
    Replica.Documents orders = replica.collection("orders");
    orders.increment("wo-1", "qty", 2); // not yet acknowledged by the server

    // the server's state: another device incremented by 5, the back office set a status
    Document server = new Document("orders", "wo-1");
    server.apply(server.increment(new Hlc(System.currentTimeMillis(), 0, "gw-2.aa"), "qty", 5));
    server.apply(server.patch(new Hlc(System.currentTimeMillis(), 1, "server-1"), Map.of("status", TextNode.valueOf("open"))));
    int changed = replica.apply(new PullPage(List.of(new PullPage.Change("orders", "wo-1", 7, server, false)),
        "C1", false, false, null));
    assertThat(changed).isEqualTo(1);
    assertThat(orders.get("wo-1").orElseThrow().toString()).as("the local +2 is kept beside the pulled +5")
        .isEqualTo("{\"qty\":7,\"status\":\"open\"}");
    assertThat(replica.cursor()).contains("C1");
    assertThat(replica.lastPullMillis()).isPositive();
    assertThat(pendingOps()).as("the local op still goes up").hasSize(1);
    Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(heard).hasSize(2));
    assertThat(heard.get(0).local()).isTrue();
    assertThat(heard.get(1).local()).isFalse();
    assertThat(heard.get(1).doc().path("qty").asInt()).isEqualTo(7);

    // the next local write is stamped after everything pulled
    orders.patch("wo-1", json("{\"status\":\"done\"}"));
    Op last = pendingOps().getLast();
    assertThat(last.hlc().compareTo(new Hlc(server.version().wallMillis(), server.version().logical(), "~"))).isPositive()
        .as("after the pulled write");
  }

  @Test
  void aLocalWriteTheServerRefusesIsTakenBackAtTheNextPullAndTheOthersKept() {
    Replica.Documents orders = replica.collection("orders");
    Document server = doc("wo-1", "open"); // what the server has
    replica.apply(new PullPage(List.of(change(server, 1)), "C1", false, false, null));
    orders.patch("wo-1", json("{\"status\":\"refused-one\"}"));
    orders.put("wo-2", json("{\"status\":\"mine\"}")); // a document only this device wrote, refused too
    orders.patch("wo-1", json("{\"note\":\"kept\"}"));
    // the uplink sends the first two; the server refuses them (they land in the dead letters)
    Lease lease = outbox.lease(LeaseRequest.of(2));
    assertThat(lease.messages()).hasSize(2);
    outbox.reject(Map.of(lease.messages().get(0).seq(), "orders.status: refused by a rule",
        lease.messages().get(1).seq(), "not allowed"));
    assertThat(orders.get("wo-1").orElseThrow().path("status").asText()).as("until the next pull").isEqualTo("refused-one");

    replica.apply(new PullPage(List.of(), "C2", false, false, null));
    assertThat(orders.get("wo-1").orElseThrow().toString()).as("the server's state, with the write still waiting")
        .isEqualTo("{\"note\":\"kept\",\"status\":\"open\"}");
    assertThat(orders.get("wo-2")).as("never on the server: gone").isEmpty();
    assertThat(pendingOps()).as("the write not refused still goes up").hasSize(1);
    assertThat(outbox.deadLetters(0, 10)).hasSize(2);
  }

  @Test
  void removalsAndAResyncDropWhatTheDeviceNoLongerReceivesButKeepLocalWrites() {
    Document a = doc("wo-a", "open");
    Document b = doc("wo-b", "open");
    Document c = doc("wo-c", "open");
    replica.apply(new PullPage(List.of(change(a, 1), change(b, 2), change(c, 3)), "C1", false, false, null));
    replica.apply(new PullPage(List.of(new PullPage.Change("orders", "wo-c", 4, null, true)), "C2", false, false, null));
    Replica.Documents orders = replica.collection("orders");
    assertThat(orders.get("wo-c")).as("removed").isEmpty();

    replica.apply(new PullPage(List.of(), "R0", true, true, "the subscription changed"));
    orders.put("wo-local", json("{\"status\":\"mine\"}")); // written during the snapshot
    replica.apply(new PullPage(List.of(change(a, 10)), "R1", false, false, null));
    assertThat(orders.get("wo-a")).isPresent();
    assertThat(orders.get("wo-b")).as("not in the snapshot: dropped").isEmpty();
    assertThat(orders.get("wo-local")).as("a local write is kept").isPresent();

    // a poller hears the removal and the drop, each with a null doc, in change order
    List<Replica.Change> feed = replica.changesAfter("orders", 0, 100);
    assertThat(feed).extracting(Replica.Change::number).isSorted().doesNotHaveDuplicates();
    assertThat(feed).filteredOn(ch -> ch.doc() == null).extracting(Replica.Change::id).containsExactly("wo-c", "wo-b");
    assertThat(feed).filteredOn(ch -> ch.doc() != null).extracting(Replica.Change::id)
        .containsExactlyInAnyOrder("wo-a", "wo-local");
    long afterDrop = replica.lastChange();
    // a document that comes back is listed again after its removal
    replica.apply(new PullPage(List.of(change(c, 11)), "R2", false, false, null));
    assertThat(replica.changesAfter("orders", afterDrop, 100)).extracting(Replica.Change::id).containsExactly("wo-c");
    assertThat(replica.changesAfter("orders", 0, 100)).filteredOn(ch -> ch.id().equals("wo-c"))
        .extracting(ch -> ch.doc() != null).containsExactly(false, true);
  }

  @Test
  void aChangeNumberIsNeverHandedOutTwiceEvenWhenTheNewestDocumentLeft() {
    replica.apply(new PullPage(List.of(change(doc("wo-a", "open"), 1), change(doc("wo-b", "open"), 2)), "C2", false,
        false, null));
    replica.apply(new PullPage(List.of(new PullPage.Change("orders", "wo-b", 3, null, true)), "C3", false, false, null));
    long last = replica.lastChange();
    replica.close();
    outbox.close();
    outbox = Outbox.open(dir, OutboxConfig.builder().build());
    replica = Replica.open(outbox, ReplicaConfig.builder("gw-1").collection(ORDERS).collection(PRICES).build());
    assertThat(replica.lastChange()).isEqualTo(last);
    replica.collection("orders").put("wo-new", json("{\"status\":\"new\"}"));
    assertThat(replica.changesAfter("orders", last, 10)).extracting(Replica.Change::id).containsExactly("wo-new");
  }

  @Test
  void theNewestRemovalsAreKeptAndAPollerBehindThePrunedOnesIsToldToStartAgain() {
    int n = SqliteReplica.KEPT_REMOVALS + 10;
    List<PullPage.Change> docs = new ArrayList<>();
    List<PullPage.Change> gone = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      docs.add(change(doc(String.format("wo-%06d", i), "open"), i + 1));
      gone.add(new PullPage.Change("orders", String.format("wo-%06d", i), n + i + 1, null, true));
    }
    for (int from = 0; from < n; from += 5000) {
      replica.apply(new PullPage(docs.subList(from, Math.min(n, from + 5000)), "C" + from, from + 5000 < n, false, null));
    }
    long beforeRemovals = replica.lastChange();
    assertThat(replica.changesCompleteAfter()).isZero();
    for (int from = 0; from < n; from += 5000) {
      replica.apply(new PullPage(gone.subList(from, Math.min(n, from + 5000)), "R" + from, from + 5000 < n, false, null));
    }
    assertThat(replica.changesCompleteAfter()).as("the 10 oldest removals were pruned").isEqualTo(beforeRemovals + 10);
    List<Replica.Change> kept = replica.changesAfter("orders", replica.changesCompleteAfter(), 10_000);
    assertThat(kept.getFirst().id()).isEqualTo("wo-000010");
    assertThat(kept.getFirst().doc()).isNull();
  }

  @Test
  void queriesFilterByFieldEqualityAndPageById() {
    Replica.Documents orders = replica.collection("orders");
    for (int i = 0; i < 25; i++) {
      orders.put(String.format("wo-%02d", i), json("{\"site\":\"" + (i % 2 == 0 ? "berlin" : "paris") + "\",\"n\":" + i + "}"));
    }
    Replica.Page first = orders.query(Map.of("site", TextNode.valueOf("berlin")), null, 5);
    assertThat(first.docs()).extracting(Replica.Doc::id).containsExactly("wo-00", "wo-02", "wo-04", "wo-06", "wo-08");
    assertThat(first.next()).isEqualTo("wo-08");
    Replica.Page rest = orders.query(Map.of("site", TextNode.valueOf("berlin")), first.next(), 100);
    assertThat(rest.docs()).hasSize(8);
    assertThat(rest.next()).isNull();
    assertThat(orders.query(Map.of("n", IntNode.valueOf(3)), null, 10).docs()).extracting(Replica.Doc::id)
        .containsExactly("wo-03");
    assertThat(orders.query(Map.of(), null, 100).docs()).hasSize(25);
  }

  @Test
  void documentsCursorAndClockSurviveAReopen() {
    Replica.Documents orders = replica.collection("orders");
    orders.put("wo-1", json("{\"status\":\"open\"}"));
    Document ahead = new Document("orders", "wo-2"); // the server's clock is 30 s ahead of this device's
    ahead.apply(ahead.patch(new Hlc(System.currentTimeMillis() + 30_000, 0, "server-1"),
        Map.of("status", (JsonNode) TextNode.valueOf("new"))));
    replica.apply(new PullPage(List.of(change(ahead, 5)), "C5", false, false, null));
    String node = replica.node();
    Hlc before = pendingOps().getLast().hlc();
    replica.close();
    outbox.close();

    outbox = Outbox.open(dir, OutboxConfig.builder().build());
    replica = Replica.open(outbox, ReplicaConfig.builder("gw-1").collection(ORDERS).collection(PRICES)
        .clock(java.time.Clock.fixed(java.time.Instant.ofEpochMilli(1000), java.time.ZoneOffset.UTC)).build());
    assertThat(replica.node()).isEqualTo(node);
    assertThat(replica.cursor()).contains("C5");
    assertThat(replica.collection("orders").get("wo-1").orElseThrow().path("status").asText()).isEqualTo("open");
    assertThat(replica.collection("orders").get("wo-2")).isPresent();
    // the wall clock went back to 1970: the next write is still stamped after the last one, and a
    // write to the pulled document after the server's write it holds (30 s ahead of this device)
    replica.collection("orders").patch("wo-1", json("{\"status\":\"done\"}"));
    assertThat(pendingOps().getLast().hlc().isAfter(before)).isTrue();
    replica.collection("orders").patch("wo-2", json("{\"status\":\"mine\"}"));
    Hlc next = pendingOps().getLast().hlc();
    assertThat(next.compareTo(ahead.version())).as("after the pulled write").isPositive();
    assertThat(replica.skewedWrites()).as("a clock in 1970 is far behind what the copy holds: counted").isPositive();
    assertThat(replica.collection("orders").get("wo-2").orElseThrow().path("status").asText())
        .as("the local write wins over the one it was made knowing").isEqualTo("mine");
    assertThatThrownBy(() -> Replica.open(outbox, ReplicaConfig.builder("gw-9").collection(ORDERS).build()))
        .hasMessageContaining("belongs to device 'gw-1'");
  }

  private static Document doc(String id, String status) {
    Document d = new Document("orders", id);
    d.apply(d.patch(new Hlc(System.currentTimeMillis(), 0, "server-1"), Map.of("status", (JsonNode) TextNode.valueOf(status))));
    return d;
  }

  private static PullPage.Change change(Document d, long seq) {
    return new PullPage.Change(d.collection(), d.id(), seq, d, false);
  }
}
