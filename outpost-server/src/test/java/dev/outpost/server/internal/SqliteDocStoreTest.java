package dev.outpost.server.internal;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;

class SqliteDocStoreTest extends DocStoreContract {
  @TempDir Path dir;

  @Override
  Store openStore() {
    return SqliteStore.open(dir, Duration.ofSeconds(30));
  }
}
