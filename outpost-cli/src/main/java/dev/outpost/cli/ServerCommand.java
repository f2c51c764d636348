package dev.outpost.cli;

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
