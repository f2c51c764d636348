package dev.outpost.cli;

import dev.outpost.server.ServerConfig;
import dev.outpost.server.StoreKind;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** Which server store a command works on: {@code --data-dir} (SQLite) or {@code --pg-url}. */
final class StoreOptions {
  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Directory of the embedded SQLite store (server.db). Default: ./outpost-server-data")
  Path dataDir;

  @Option(names = "--store", paramLabel = "KIND", description = "sqlite (default) or postgres")
  String store;

  @Option(names = "--pg-url", paramLabel = "URL",
      description = "PostgreSQL JDBC URL, e.g. jdbc:postgresql://127.0.0.1:5432/outpost?user=postgres (implies --store postgres)")
  String pgUrl;

  /** A builder with the store chosen; callers add their own settings. */
  ServerConfig.Builder configure() {
    ServerConfig.Builder b = ServerConfig.builder();
    StoreKind kind = kind();
    b.store(kind);
    if (kind == StoreKind.POSTGRES) {
      if (pgUrl == null) {
        throw new IllegalArgumentException("--store postgres needs --pg-url jdbc:postgresql://HOST:PORT/DB?user=U");
      }
      b.pgUrl(pgUrl);
    }
    b.dataDir(dataDir != null ? dataDir : Path.of("outpost-server-data"));
    return b;
  }

  private StoreKind kind() {
    if (store == null) {
      return pgUrl != null ? StoreKind.POSTGRES : StoreKind.SQLITE;
    }
    return switch (store.toLowerCase(Locale.ROOT)) {
      case "sqlite" -> StoreKind.SQLITE;
      case "postgres", "postgresql" -> StoreKind.POSTGRES;
      default -> throw new IllegalArgumentException("--store must be sqlite or postgres, was '" + store + "'");
    };
  }
}
