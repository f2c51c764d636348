package dev.outpost.cli;

import dev.outpost.agent.ValueType;
import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import dev.outpost.server.SyncCollections;
import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code outpost server}: runs the cloud ingest server until SIGTERM or Ctrl-C, then stops
 * taking requests, finishes running ones and closes the store.
 */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = "Run the cloud ingest server (embedded SQLite by default, PostgreSQL with --pg-url).")
public final class ServerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin StoreOptions store = new StoreOptions();

  @Option(names = "--port", paramLabel = "P", defaultValue = "8080", description = "Port (0 picks a free one). Default: 8080")
  int port;

  @Option(names = "--host", paramLabel = "ADDR", defaultValue = "0.0.0.0",
      description = "Address to listen on. Default: 0.0.0.0 (all interfaces)")
  String host;

  @Option(names = "--admin-token", paramLabel = "TOKEN",
      description = "Admin token for the read and admin endpoints (or env OUTPOST_ADMIN_TOKEN). "
          + "Default: generated on first start, printed once, stored hashed")
  String adminToken;

  @Option(names = "--sync-config", paramLabel = "FILE",
      description = "YAML file of the replicated collections to serve (docs/sync-model.md). Default: none")
  java.nio.file.Path syncConfig;

  @Option(names = "--tombstone-retention", paramLabel = "DURATION",
      description = "How long deleted documents' tombstones stay in the change feed before compaction; a device"
          + " offline longer resyncs (docs/sync-model.md). e.g. 30d, 12h. Default: 30d")
  String tombstoneRetention;

  @Override
  public Integer call() throws InterruptedException {
    ServerConfig.Builder b = store.configure().port(port).host(host);
    String admin = adminToken != null ? adminToken : System.getenv("OUTPOST_ADMIN_TOKEN");
    if (admin != null && !admin.isBlank()) {
      b.adminToken(admin);
    }
    if (syncConfig != null) {
      b.syncCollections(SyncCollections.read(syncConfig));
    }
    if (tombstoneRetention != null) {
      ValueType<java.time.Duration> retention = ValueType.duration(java.time.Duration.ofMinutes(1), java.time.Duration.ofDays(3650));
      try {
        b.tombstoneRetention(retention.parse(tombstoneRetention));
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--tombstone-retention: " + e.getMessage()
            + "; give " + retention.allowed());
      }
    }
    OutpostServer server = OutpostServer.start(b.build());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "outpost-server-shutdown"));
    PrintWriter out = spec.commandLine().getOut();
    ServerConfig c = server.config();
    String where = c.pgUrl() != null ? "postgres" : "sqlite at " + c.dataDir().toAbsolutePath().resolve("server.db");
    out.println("outpost server listening on " + server.url() + " (" + where + ")");
    server.generatedAdminToken().ifPresent(t -> {
      out.println("admin token (shown once, keep it): " + t);
    });
    out.flush();
    stopped.await();
    return 0;
  }
}
