package dev.outpost.server;

import dev.outpost.server.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;

/** The same chained-send tests with the PostgreSQL store behind the server. */
class PostgresChainedIngestHttpTest extends ChainedIngestHttpTest {
  private TestPostgres.Database db;

  /** One database per test: a server started again in the same test finds its devices. */
  @Override
  ServerConfig.Builder store() {
    if (db == null) {
      db = TestPostgres.createDatabase();
    }
    return ServerConfig.builder().store(StoreKind.POSTGRES).pgUrl(db.url()).pgPoolSize(4);
  }

  @AfterEach
  void dropDatabase() {
    if (db != null) {
      server.close();
      db.close();
    }
  }
}
