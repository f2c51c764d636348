package dev.outpost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outpost.server.StoredRecord;
import dev.outpost.server.testing.Batches;
import dev.outpost.server.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PostgresStoreTest extends StoreContract {
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
   * The read-back pitfall made deterministic: a trigger holds dev-1's insert open for a moment
   * after it has drawn its server_seq, while dev-2's insert comes later through a second store
   * on the same database (as a second server would). If dev-2 could commit
   * first, a reader paging after=cursor would move past dev-1's lower server_seq and never see it.
   */
  @Test
  void serverSeqFollowsCommitOrderSoAPagingReaderNeverSkips() throws Exception {
    try (Connection c = DriverManager.getConnection(db.url()); Statement s = c.createStatement();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Store other = PostgresStore.open(db.url(), 2)) {
      s.execute("CREATE FUNCTION slow_dev1() RETURNS trigger AS $$ BEGIN IF NEW.device_id = 'dev-1'"
          + " THEN PERFORM pg_sleep(0.4); END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
      s.execute("CREATE TRIGGER slow_dev1 BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION slow_dev1()");
      CompletableFuture<boolean[]> slow = CompletableFuture.supplyAsync(
          () -> store.ingest(write(Batches.batch("dev-1", 1, 1, 1), 1)), pool);
      await().atMost(Duration.ofSeconds(10)).until(() -> TestPostgres.sleeping(s));
      CompletableFuture<boolean[]> fast = CompletableFuture.supplyAsync(
          () -> other.ingest(write(Batches.batch("dev-2", 1, 1, 1), 1)), pool);

      List<StoredRecord> seen = new ArrayList<>();
      long after = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (seen.size() < 2 && System.nanoTime() < deadline) {
        boolean done = slow.isDone() && fast.isDone();
        List<StoredRecord> page = store.page(after, 10, null, null);
        seen.addAll(page);
        after = page.isEmpty() ? after : page.getLast().serverSeq();
        if (done && page.isEmpty()) {
          break;
        }
      }
      assertThat(slow.get()).containsExactly(true);
      assertThat(fast.get()).containsExactly(true);
      assertThat(seen).extracting(StoredRecord::deviceId).containsExactly("dev-1", "dev-2");
    }
  }

}
