package dev.outpost.server.testing;

import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A server in a child JVM for crash tests: {@code ServerProcess DATA_DIR INFO_FILE} starts a
 * server on a free port, adds device {@code dev-1}, writes {@code port token} to INFO_FILE and
 * runs until killed.
 */
public final class ServerProcess {
  private ServerProcess() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    OutpostServer server = OutpostServer.start(ServerConfig.builder().port(0).dataDir(dir).adminToken("admin-secret").build());
    String token = server.devices().add("dev-1");
    Path tmp = Path.of(args[1] + ".tmp");
    Files.writeString(tmp, server.port() + " " + token);
    Files.move(tmp, Path.of(args[1]));
    new CountDownLatch(1).await();
  }
}
