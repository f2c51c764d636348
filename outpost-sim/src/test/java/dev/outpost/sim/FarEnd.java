package dev.outpost.sim;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The far end for proxy tests: a JDK HttpServer on loopback (an external edge, not ours).
 * {@code POST /echo} stores the body and answers {@code ok:<body>}; {@code GET /big?n=N}
 * answers N bytes.
 */
final class FarEnd implements AutoCloseable {
  final List<String> received = new CopyOnWriteArrayList<>();
  /** Requests whose body broke off (the client side was reset). */
  final java.util.concurrent.atomic.AtomicInteger torn = new java.util.concurrent.atomic.AtomicInteger();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

  FarEnd() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
    server.setExecutor(executor);
    server.createContext("/echo", ex -> {
      String body;
      try (InputStream in = ex.getRequestBody()) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        torn.incrementAndGet();
        throw e;
      }
      received.add(body); // "committed" before the answer is written
      byte[] answer = ("ok:" + body).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, answer.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(answer);
      }
    });
    server.createContext("/big", ex -> {
      ex.getRequestBody().readAllBytes();
      int n = Integer.parseInt(ex.getRequestURI().getQuery().substring(2));
      byte[] answer = new byte[n];
      java.util.Arrays.fill(answer, (byte) 'x');
      ex.sendResponseHeaders(200, n);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(answer);
      }
    });
    server.start();
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getAddress().getPort());
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
