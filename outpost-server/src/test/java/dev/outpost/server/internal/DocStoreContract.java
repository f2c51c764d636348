package dev.outpost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.Hlc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every store's {@link DocStore} must do; run against SQLite and PostgreSQL. */
abstract class DocStoreContract {
  Store store;
  DocStore docs;
  private final AtomicLong time = new AtomicLong(1_764_748_800_000L);

  abstract Store openStore() throws Exception;

  @BeforeEach
  void open() throws Exception {
    store = openStore();
    docs = store.docs();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  Hlc next() {
    return new Hlc(time.incrementAndGet(), 0, "server");
  }

  static Map<String, JsonNode> set(String field, String value) {
    Map<String, JsonNode> m = new HashMap<>();
    m.put(field, TextNode.valueOf(value));
    return m;
  }

  /** Writes {@code field=value} on each id, all in one transaction. */
  void write(String collection, List<String> ids, String field, String value) {
    docs.update(collection, ids, current -> {
      List<Document> changed = new ArrayList<>();
      for (String id : ids) {
        Document d = current.get(id);
        changed.add(d.apply(d.patch(next(), set(field, value))));
      }
      return new DocStore.Change<>(changed, null);
    });
  }

  @Test
  void aWrittenDocumentReadsBackWithItsViewAndFeedPosition() {
    assertThat(docs.feedHead()).isZero();
    assertThat(docs.get("orders", "wo-1")).isEmpty();
    write("orders", List.of("wo-1"), "status", "open");
    DocStore.StoredDoc d = docs.get("orders", "wo-1").orElseThrow();
    assertThat(d.view().get("status").asText()).isEqualTo("open");
    assertThat(d.seq()).isEqualTo(1);
    assertThat(d.state().register("status")).isEqualTo(TextNode.valueOf("open"));
    write("orders", List.of("wo-1"), "status", "done");
    assertThat(docs.get("orders", "wo-1").orElseThrow().seq()).isEqualTo(2);
    assertThat(docs.feedHead()).isEqualTo(2);
  }

  @Test
  void theFeedHasEachDocumentOnceAtItsLatestChangeAndPagesNeverSplitATransaction() {
    write("orders", List.of("a"), "s", "1");
    write("orders", List.of("b", "c", "d"), "s", "2"); // one transaction: positions 2..4
    write("prices", List.of("p"), "s", "3");
    write("orders", List.of("a"), "s", "4"); // a moves to position 6
    List<DocStore.StoredDoc> page = docs.feed(0, 2, Set.of("orders"));
    assertThat(page).extracting(DocStore.StoredDoc::id).containsExactly("b", "c", "d");
    assertThat(page.get(page.size() - 1).txEnd()).isEqualTo(4);
    List<DocStore.StoredDoc> rest = docs.feed(4, 10, Set.of("orders"));
    assertThat(rest).extracting(DocStore.StoredDoc::id).containsExactly("a");
    assertThat(docs.feed(0, 10, Set.of("prices"))).extracting(DocStore.StoredDoc::id).containsExactly("p");
    assertThat(docs.feed(6, 10, Set.of("orders", "prices"))).isEmpty();
    assertThat(docs.feed(0, 10, Set.of())).isEmpty();
  }

  @Test
  void aDeletedDocumentStaysInTheFeedAsATombstoneButNotInTheList() {
    write("orders", List.of("a", "b"), "s", "1");
    docs.update("orders", "a", d -> new DocStore.Change<>(List.of(d.apply(d.delete(next()))), null));
    assertThat(docs.list("orders", null, 10)).extracting(DocStore.StoredDoc::id).containsExactly("b");
    DocStore.StoredDoc a = docs.get("orders", "a").orElseThrow();
    assertThat(a.view()).isNull();
    assertThat(a.state().hasTombstone()).isTrue();
    assertThat(docs.feed(2, 10, Set.of("orders"))).extracting(DocStore.StoredDoc::id).containsExactly("a");
    assertThat(docs.list("orders", "a", 10)).extracting(DocStore.StoredDoc::id).containsExactly("b");
  }

  @Test
  void aChangeThatThrowsLeavesNothing() {
    write("orders", List.of("a"), "s", "1");
    assertThatThrownBy(() -> docs.update("orders", List.of("a", "b"), current -> {
      current.get("a").apply(current.get("a").patch(next(), set("s", "2")));
      throw new IllegalArgumentException("refused by a rule");
    })).hasMessageContaining("refused by a rule");
    assertThat(docs.get("orders", "a").orElseThrow().view().get("s").asText()).isEqualTo("1");
    assertThat(docs.get("orders", "b")).isEmpty();
    assertThat(docs.feedHead()).isEqualTo(1);
  }

  /**
   * Writers on several threads each create their own document while a reader pages the feed by
   * cursor: the reader ends up with every document. A position handed out before the commit of an
   * earlier one would let the cursor pass a row that appears later, and that document would be missing.
   */
  @Test
  void aReaderPagingByCursorWhileOthersWriteMissesNoDocument() throws Exception {
    int writers = 4;
    int each = 40;
    Set<String> seen = new HashSet<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(writers)) {
      List<Future<?>> fs = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            write("orders", List.of("w" + writer + "-" + i), "s", "x");
          }
        }));
      }
      long cursor = 0;
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (System.nanoTime() < deadline) {
        boolean done = fs.stream().allMatch(Future::isDone);
        List<DocStore.StoredDoc> page = docs.feed(cursor, 7, Set.of("orders"));
        for (DocStore.StoredDoc d : page) {
          assertThat(d.seq()).isGreaterThan(cursor);
          seen.add(d.id());
        }
        cursor = page.isEmpty() ? cursor : page.get(page.size() - 1).txEnd();
        if (done && page.isEmpty()) {
          break;
        }
      }
      for (Future<?> f : fs) {
        f.get();
      }
    }
    assertThat(seen).hasSize(writers * each);
  }

  @Test
  void compactionRemovesOnlyOldTombstonesAndRaisesTheHorizon() {
    write("orders", List.of("a", "b", "c"), "s", "1"); // positions 1..3
    docs.update("orders", "a", d -> new DocStore.Change<>(List.of(d.apply(d.delete(next()))), null)); // 4
    long cutoff = time.get() + 1;
    docs.update("orders", "b", d -> new DocStore.Change<>(List.of(d.apply(d.delete(next()))), null)); // 5, kept
    time.addAndGet(10);
    assertThat(docs.compactedHead()).isZero();
    assertThat(docs.compact(cutoff)).isEqualTo(1);
    assertThat(docs.compactedHead()).isEqualTo(4);
    assertThat(docs.get("orders", "a")).isEmpty();
    assertThat(docs.get("orders", "b").orElseThrow().view()).as("a newer tombstone stays").isNull();
    assertThat(docs.get("orders", "c").orElseThrow().view()).isNotNull();
    assertThat(docs.compact(cutoff)).isZero();
    assertThat(docs.compactedHead()).isEqualTo(4);
  }
}
