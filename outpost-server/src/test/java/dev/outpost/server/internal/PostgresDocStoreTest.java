package dev.outpost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outpost.core.sync.Document;
import dev.outpost.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PostgresDocStoreTest extends DocStoreContract {
  private TestPostgres.Database db;

  @Override
  Store openStore() {
    db = TestPostgres.createDatabase();
    return PostgresStore.open(db.url(), 4);
  }

  @AfterEach
  void dropDatabase() {
    if (db != null) {
      store.close();
      db.close();
    }
  }

  /**
   * The skipped-cursor pitfall made deterministic with two servers on one database: a trigger
   * holds the write of document "slow" open after it took its feed position; "fast" comes later
   * through the other server. "fast" cannot take a position until "slow" committed, so a reader
   * paging by cursor sees "slow" first and never skips it.
   */
  @Test
  void feedPositionsFollowCommitOrderAcrossServers() throws Exception {
    try (Connection c = DriverManager.getConnection(db.url()); Statement s = c.createStatement();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Store other = PostgresStore.open(db.url(), 2)) {
      s.execute("CREATE FUNCTION slow_doc() RETURNS trigger AS $$ BEGIN IF NEW.id = 'slow'"
          + " THEN PERFORM pg_sleep(0.4); END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
      s.execute("CREATE TRIGGER slow_doc BEFORE INSERT ON docs FOR EACH ROW EXECUTE FUNCTION slow_doc()");
      CompletableFuture<Void> slow = CompletableFuture.runAsync(() -> write("orders", List.of("slow"), "s", "1"), pool);
      await().atMost(Duration.ofSeconds(10)).until(() -> TestPostgres.sleeping(s));
      CompletableFuture<Void> fast = CompletableFuture.runAsync(() -> other.docs().update("orders", "fast",
          d -> new DocStore.Change<Void>(List.<Document>of(d.apply(d.patch(next(), set("s", "2")))), null)), pool);
      List<String> seen = new ArrayList<>();
      long cursor = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (seen.size() < 2 && System.nanoTime() < deadline) {
        for (DocStore.StoredDoc d : docs.feed(cursor, 10, Set.of("orders"))) {
          seen.add(d.id());
          cursor = d.txEnd();
        }
      }
      slow.get();
      fast.get();
      assertThat(seen).containsExactly("slow", "fast");
    }
  }

}
