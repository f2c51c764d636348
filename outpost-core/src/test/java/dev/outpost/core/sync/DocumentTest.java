package dev.outpost.core.sync;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The merge rules one by one, on two or three replicas with hand-made timestamps. */
class DocumentTest {
  private static Hlc at(long t, String node) {
    return new Hlc(t, 0, node);
  }

  private static Map<String, JsonNode> fields(Object... kv) {
    Map<String, JsonNode> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      Object v = kv[i + 1];
      m.put((String) kv[i], v == null ? null : v instanceof Integer n ? IntNode.valueOf(n) : TextNode.valueOf((String) v));
    }
    return m;
  }

  private static Document doc() {
    return new Document("orders", "wo-1");
  }

  @Test
  void registersAreLastWriterWinsPerFieldAndANullRemovesAField() {
    Document a = doc();
    Document b = doc();
    Op first = a.patch(at(10, "a"), fields("status", "open", "note", "x"));
    a.apply(first);
    b.apply(first);
    Op fromB = b.patch(at(12, "b"), fields("status", "done"));
    Op fromA = a.patch(at(11, "a"), fields("status", "blocked", "note", null));
    a.apply(fromA).apply(fromB);
    b.apply(fromB).apply(fromA);
    assertThat(a.view()).isEqualTo(b.view());
    assertThat(a.view().get("status").asText()).isEqualTo("done");
    assertThat(a.view().has("note")).isFalse();
    assertThat(a.register("status")).isEqualTo(TextNode.valueOf("done"));
  }

  @Test
  void aJsonNullInAPatchRemovesTheFieldLikeAMergePatch() {
    Document a = doc();
    a.apply(a.patch(at(1, "a"), fields("status", "open")));
    Map<String, JsonNode> remove = new HashMap<>();
    remove.put("status", NullNode.instance);
    a.apply(a.patch(at(2, "a"), remove));
    assertThat(a.exists()).isTrue();
    assertThat(a.view()).isEmpty();
  }

  @Test
  void concurrentIncrementsAreNeverLostAndDuplicatesChangeNothing() {
    Document a = doc();
    Document b = doc();
    Op ia = a.increment(at(5, "a"), "qty", 3);
    a.apply(ia);
    Op ib = b.increment(at(5, "b"), "qty", -1);
    b.apply(ib);
    Op ia2 = a.increment(at(6, "a"), "qty", 2);
    a.apply(ia2);
    for (Op op : List.of(ib, ia2, ia, ib)) {
      b.apply(op);
    }
    a.apply(ib).apply(ia);
    assertThat(a.counter("qty")).isEqualTo(4);
    assertThat(b.counter("qty")).isEqualTo(4);
    assertThat(a).isEqualTo(b);
    assertThat(a.totals("qty", "a")).isEqualTo(new Document.Totals(5, 0));
  }

  @Test
  void aSetKeepsAnElementAddedConcurrentlyWithItsRemoval() {
    Document a = doc();
    Document b = doc();
    Op add = a.changeSet(at(1, "a"), "tags", List.of(TextNode.valueOf("urgent")), List.of());
    a.apply(add);
    b.apply(add);
    Op removeOnB = b.changeSet(at(3, "b"), "tags", List.of(), List.of(TextNode.valueOf("urgent")));
    Op addAgainOnA = a.changeSet(at(2, "a"), "tags", List.of(TextNode.valueOf("urgent")), List.of());
    a.apply(addAgainOnA).apply(removeOnB);
    b.apply(removeOnB).apply(addAgainOnA);
    assertThat(a.set("tags")).containsExactly(TextNode.valueOf("urgent")); // add wins: b had not seen it
    assertThat(b).isEqualTo(a);
    Op removeSeen = a.changeSet(at(4, "a"), "tags", List.of(), List.of(TextNode.valueOf("urgent")));
    a.apply(removeSeen);
    assertThat(a.set("tags")).isEmpty();
  }

  @Test
  void setElementsAreOneWhateverTheOrderOfTheirKeys() {
    Document a = doc();
    JsonNode ab = JsonNodeFactory.instance.objectNode().put("a", 1).put("b", 2);
    JsonNode ba = JsonNodeFactory.instance.objectNode().put("b", 2).put("a", 1);
    a.apply(a.changeSet(at(1, "a"), "parts", List.of(ab, ba), List.of()));
    assertThat(a.set("parts")).hasSize(1);
  }

  @Test
  void aDeleteWinsOverEveryWriteItSawAndAConcurrentWriteBringsTheDocumentBack() {
    Document a = doc();
    Document b = doc();
    Op create = a.patch(at(1, "a"), fields("status", "open", "assignee", "kim"));
    Op count = a.increment(at(2, "a"), "qty", 5);
    a.apply(create).apply(count);
    b.apply(create).apply(count);
    Op delete = b.delete(at(10, "b")); // b saw the create and the increment
    b.apply(delete);
    assertThat(b.exists()).isFalse();
    assertThat(b.view()).isNull();

    // a, offline, did not see the delete and wrote one field at an earlier wall time
    Op concurrent = a.patch(at(3, "a"), fields("status", "reopened"));
    a.apply(concurrent);
    a.apply(delete);
    b.apply(concurrent);
    assertThat(a).isEqualTo(b);
    assertThat(a.exists()).as("a write the delete had not seen resurrects").isTrue();
    assertThat(a.view()).isEqualTo(JsonNodeFactory.instance.objectNode().put("status", "reopened"));
    assertThat(a.counter("qty")).as("increments the delete saw are gone").isZero();
    assertThat(a.hasTombstone()).isTrue();

    // a write after the delete, by the deleter, shows only what it writes
    Document c = doc();
    c.apply(create).apply(count).apply(delete);
    c.apply(c.increment(at(11, "b"), "qty", 1));
    assertThat(c.counter("qty")).isEqualTo(1);
    assertThat(c.view()).isEqualTo(JsonNodeFactory.instance.objectNode().put("qty", 1L));
  }

  @Test
  void aDeletedFieldsOlderConcurrentWriteDoesNotComeBackOnOneReplicaOnly() {
    // x=1 from a (unseen by the delete) loses to x=2 from c (seen by it): on every replica x is gone
    Document r1 = doc();
    Document r2 = doc();
    Op x1 = new Document("orders", "wo-1").patch(at(5, "a"), fields("x", 1));
    Op x2 = new Document("orders", "wo-1").patch(at(7, "c"), fields("x", 2));
    Document deleter = doc().apply(x2);
    Op delete = deleter.delete(at(8, "b"));
    r1.apply(x1).apply(x2).apply(delete);
    r2.apply(x2).apply(delete).apply(x1);
    assertThat(r1).isEqualTo(r2);
    assertThat(r1.register("x")).isNull();
  }
}
