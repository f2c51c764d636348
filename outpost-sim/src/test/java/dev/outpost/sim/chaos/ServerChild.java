package dev.outpost.sim.chaos;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The server as a child JVM on a fixed data dir and a fixed loopback port, so a restart finds
 * its store and the proxies keep their target. Not thread-safe: one owner (the server's chaos
 * actor), except {@link #uri()} and {@link #kills()}.
 */
final class ServerChild implements AutoCloseable {
  static final String ADMIN = "chaos-admin-token";
  private final Path dir;
  private final int port;
  private final List<String> devices;
  private final ChildJvm jvm;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private volatile int kills;

  ServerChild(Path dir, List<String> devices) throws IOException {
    this.dir = dir;
    this.devices = List.copyOf(devices);
    Files.createDirectories(dir);
    try (ServerSocket s = new ServerSocket(0)) {
      this.port = s.getLocalPort();
    }
    this.jvm = new ChildJvm("server", dir.resolve("server.log"));
  }

  /** Starts the server and waits (bounded) until {@code /readyz} answers 200. */
  void start() throws IOException {
    List<String> args = new ArrayList<>(List.of(dir.resolve("data").toString(), String.valueOf(port), ADMIN,
        dir.resolve("tokens").toString()));
    args.addAll(devices);
    jvm.start("160m", ServerProcessMain.class, args);
    await("server ready on port " + port).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> {
          if (!jvm.alive()) {
            throw new IllegalStateException("server exited during start:\n" + jvm.logTail(3000));
          }
          return ready();
        });
  }

  private boolean ready() {
    try {
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(uri().resolve("/readyz"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200 && Files.exists(dir.resolve("tokens"));
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  void kill() throws InterruptedException {
    jvm.kill();
    kills++;
  }

  int kills() {
    return kills;
  }

  int port() {
    return port;
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** Device tokens written by the first start. */
  Map<String, String> tokens() throws IOException {
    Map<String, String> m = new TreeMap<>();
    for (String line : Files.readAllLines(dir.resolve("tokens"))) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        m.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return m;
  }

  String logTail() {
    return jvm.logTail(4000);
  }

  @Override
  public void close() throws InterruptedException {
    jvm.kill();
    http.close();
  }
}
