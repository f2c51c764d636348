package dev.outpost.server.internal;

import dev.outpost.server.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;

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
}
