package dev.outpost.server;

import dev.outpost.server.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;

/** The same document API and pull tests with the PostgreSQL store behind the server. */
class PostgresDocsHttpTest extends DocsHttpTest {
  private TestPostgres.Database db;

  @Override
  ServerConfig.Builder store() {
    db = TestPostgres.createDatabase();
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
