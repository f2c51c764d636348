package dev.outpost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.Hlc;
import dev.outpost.core.sync.SyncJson;
import dev.outpost.server.testing.TestPostgres;
import dev.outpost.sqlite.Migrations;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Migration 6 rewrites every document state from JSON text to the binary form: a store written
 * by the previous release (migration 5, states as JSON) opens with every document, tombstone and
 * feed position as it was, on SQLite and on PostgreSQL.
 */
class DocStateMigrationTest {
  @TempDir Path dir;

  /** Documents as the previous release wrote them: more than one page of the rewrite, one deleted. */
  private static List<Document> docs() {
    List<Document> out = new ArrayList<>();
    for (int i = 0; i < 2_345; i++) {
      Document d = new Document(i % 2 == 0 ? "orders" : "prices", "doc-" + i);
      d.apply(d.patch(new Hlc(1_764_748_800_000L + i, 0, "server"), Map.of("status", TextNode.valueOf("s" + i))));
      d.apply(d.increment(new Hlc(1_764_748_800_000L + i, 1, "gw-1"), "qty", i));
      if (i % 10 == 0) {
        d.apply(d.delete(new Hlc(1_764_748_900_000L + i, 0, "server")));
      }
      out.add(d);
    }
    return out;
  }

  private static void writeAsRelease5(Connection c, Migrations migrations, Migrations.Ledger ledger) throws Exception {
    c.setAutoCommit(false);
    migrations.upTo(5).migrate(c, ledger, "test");
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO docs (collection, id, state, view, seq, tx_end, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      long seq = 0;
      for (Document d : docs()) {
        s.setString(1, d.collection());
        s.setString(2, d.id());
        s.setString(3, SyncJson.encode(d).toString());
        s.setString(4, d.view() == null ? null : d.view().toString());
        s.setLong(5, ++seq);
        s.setLong(6, seq);
        s.setLong(7, d.version().wallMillis());
        s.addBatch();
      }
      s.executeBatch();
    }
    try (PreparedStatement s = c.prepareStatement("UPDATE sync_head SET seq = ?")) {
      s.setLong(1, docs().size());
      s.executeUpdate();
    }
    c.commit();
  }

  private static void assertEveryDocumentSurvived(Store store) {
    List<Document> want = docs();
    assertThat(store.docs().feedHead()).isEqualTo(want.size());
    for (int i = 0; i < want.size(); i++) {
      Document w = want.get(i);
      DocStore.StoredDoc got = store.docs().get(w.collection(), w.id()).orElseThrow();
      assertThat(got.state().state()).as(w.collection() + "/" + w.id()).isEqualTo(w.state());
      assertThat(got.seq()).isEqualTo(i + 1);
    }
  }

  @Test
  void sqliteStatesWrittenAsJsonAreRewrittenAsBinary() throws Exception {
    Path file = dir.resolve("server.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      writeAsRelease5(c, SqliteStore.MIGRATIONS, Migrations.Ledger.USER_VERSION);
    }
    try (Store store = SqliteStore.open(dir, Duration.ofSeconds(30))) {
      assertEveryDocumentSurvived(store);
    }
  }

  @Test
  void postgresStatesWrittenAsJsonAreRewrittenAsBinary() throws Exception {
    try (TestPostgres.Database db = TestPostgres.createDatabase()) {
      try (Connection c = DriverManager.getConnection(db.url())) {
        writeAsRelease5(c, PostgresStore.MIGRATIONS, Migrations.Ledger.TABLE);
      }
      try (Store store = PostgresStore.open(db.url(), 2)) {
        assertEveryDocumentSurvived(store);
      }
    }
  }
}
