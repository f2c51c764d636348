package dev.outpost.bench;

import com.sun.net.httpserver.HttpServer;
import dev.outpost.sim.FaultProxy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What the {@link FaultProxy} costs in PASS mode: small POSTs over kept-alive HTTP/1.1
 * connections to a loopback echo server, directly (the baseline) and through the proxy, in
 * alternating rounds of the same run. Prints a table; {@link #run} returns the figures.
 *
 * <p>{@code java ... dev.outpost.bench.ProxyBench [requests] [concurrency] [payloadBytes]}
 */
public final class ProxyBench {
  /** @param rounds alternating direct/proxied rounds; the median round counts */
  public record Options(int requests, int concurrency, int payloadBytes, int rounds) {
    public Options {
      if (requests < 1 || concurrency < 1 || payloadBytes < 0 || rounds < 1) {
        throw new IllegalArgumentException("requests, concurrency, rounds >= 1 and payloadBytes >= 0");
      }
    }

    public static Options defaults() {
      return new Options(2000, 4, 1024, 3);
    }
  }

  /** Requests per second (median round) and the proxied/direct ratio. */
  public record Result(double directPerSecond, double proxiedPerSecond, long directP99Micros,
      long proxiedP99Micros) {
    public double ratio() {
      return proxiedPerSecond / directPerSecond;
    }
  }

  private ProxyBench() {}

  public static Result run(Options o) throws IOException, InterruptedException {
    HttpServer echo = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    ExecutorService serverThreads = Executors.newVirtualThreadPerTaskExecutor();
    echo.setExecutor(serverThreads);
    echo.createContext("/echo", ex -> {
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readAllBytes();
      }
      ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    echo.start();
    InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getAddress().getPort());
    try (FaultProxy proxy = FaultProxy.start("bench", target);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      URI direct = URI.create("http://127.0.0.1:" + target.getPort() + "/echo");
      URI proxied = proxy.uri().resolve("/echo");
      byte[] payload = new byte[o.payloadBytes()];
      round(http, direct, payload, Math.min(500, o.requests()), o.concurrency()); // warm-up
      round(http, proxied, payload, Math.min(500, o.requests()), o.concurrency());
      List<double[]> d = new ArrayList<>();
      List<double[]> p = new ArrayList<>();
      for (int r = 0; r < o.rounds(); r++) {
        d.add(round(http, direct, payload, o.requests(), o.concurrency()));
        p.add(round(http, proxied, payload, o.requests(), o.concurrency()));
      }
      double[] dm = median(d);
      double[] pm = median(p);
      Result result = new Result(dm[0], pm[0], (long) dm[1], (long) pm[1]);
      System.out.printf(Locale.ROOT, "%-10s %12s %12s%n", "path", "requests/s", "p99 us");
      System.out.printf(Locale.ROOT, "%-10s %12.0f %12d%n", "direct", dm[0], (long) dm[1]);
      System.out.printf(Locale.ROOT, "%-10s %12.0f %12d%n", "proxy", pm[0], (long) pm[1]);
      System.out.printf(Locale.ROOT, "ratio proxy/direct: %.2f (%d requests x %d rounds, concurrency %d, %d B)%n",
          result.ratio(), o.requests(), o.rounds(), o.concurrency(), o.payloadBytes());
      return result;
    } finally {
      echo.stop(0);
      serverThreads.shutdownNow();
    }
  }

  /** One round: {requests per second, p99 latency in micros}. */
  private static double[] round(HttpClient http, URI uri, byte[] payload, int requests, int concurrency)
      throws InterruptedException {
    long[] latencies = new long[requests];
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build();
    long start = System.nanoTime();
    try (ExecutorService workers = Executors.newFixedThreadPool(concurrency)) {
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < concurrency; w++) {
        int first = w;
        futures.add(workers.submit(() -> {
          for (int i = first; i < requests; i += concurrency) {
            long t0 = System.nanoTime();
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200 || r.body().length != payload.length) {
              throw new IOException("bad echo: " + r.statusCode());
            }
            latencies[i] = System.nanoTime() - t0;
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException("benchmark request failed: " + e.getCause(), e.getCause());
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Arrays.sort(latencies);
    int p99 = Math.min(requests - 1, (int) Math.ceil(requests * 0.99) - 1);
    return new double[] {requests / seconds, latencies[p99] / 1000.0};
  }

  private static double[] median(List<double[]> rounds) {
    List<double[]> sorted = new ArrayList<>(rounds);
    sorted.sort((a, b) -> Double.compare(a[0], b[0]));
    return sorted.get(sorted.size() / 2);
  }

  public static void main(String[] args) throws Exception {
    Options d = Options.defaults();
    run(new Options(
        args.length > 0 ? Integer.parseInt(args[0]) : d.requests(),
        args.length > 1 ? Integer.parseInt(args[1]) : d.concurrency(),
        args.length > 2 ? Integer.parseInt(args[2]) : d.payloadBytes(),
        d.rounds()));
  }
}
