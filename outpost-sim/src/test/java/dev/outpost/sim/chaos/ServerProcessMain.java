package dev.outpost.sim.chaos;

import dev.outpost.server.OutpostServer;
import dev.outpost.server.ServerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/**
 * The server as a child process for the chaos suite: {@code dataDir port adminToken tokensFile
 * device...}. On the first start (no tokens file yet) it registers the devices and writes
 * {@code device=token} lines to the tokens file (written aside, then renamed, so a kill leaves
 * either no file or a whole one). Runs until killed.
 */
public final class ServerProcessMain {
  private ServerProcessMain() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    Path dataDir = Path.of(args[0]);
    int port = Integer.parseInt(args[1]);
    Path tokens = Path.of(args[3]);
    // a sync config beside the data dir turns replicated documents on (ReplicaChaosTest)
    Path sync = dataDir.resolveSibling("sync.yaml");
    ServerConfig.Builder config = ServerConfig.builder().host("127.0.0.1").port(port).dataDir(dataDir).adminToken(args[2]);
    if (Files.exists(sync)) {
      config.syncCollections(dev.outpost.server.SyncCollections.read(sync));
    }
    OutpostServer server = OutpostServer.start(config.build());
    if (!Files.exists(tokens)) {
      StringBuilder sb = new StringBuilder();
      for (String device : Arrays.copyOfRange(args, 4, args.length)) {
        sb.append(device).append('=').append(server.devices().add(device)).append('\n');
      }
      Path tmp = tokens.resolveSibling(tokens.getFileName() + ".tmp");
      Files.writeString(tmp, sb, StandardCharsets.UTF_8);
      Files.move(tmp, tokens, StandardCopyOption.ATOMIC_MOVE);
    }
    System.out.println("chaos server ready on port " + server.port());
    new CountDownLatch(1).await();
  }
}
