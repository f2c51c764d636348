package dev.outpost.edge.sync;

import com.sun.net.httpserver.HttpServer;
import dev.outpost.core.Batch;
import dev.outpost.core.BatchResult;
import dev.outpost.core.Message;
import dev.outpost.core.RecordResult;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.wire.WireCodec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in ingest endpoint for engine tests in this module and the agent's (the real server
 * lives in another module; the end-to-end tests in outpost-sim use it). Shared through
 * outpost-edge's test jar. A JDK HttpServer on loopback that speaks
 * wire v1: dedupes on (epoch, seq), answers stored/duplicate, rejects topics under {@code bad/},
 * answers 413 for batches over {@link #maxRecords}, or a forced status.
 */
public final class IngestFarEnd implements AutoCloseable {
  public final List<Message> stored = new CopyOnWriteArrayList<>();
  public final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
  public final AtomicInteger forcedStatus = new AtomicInteger(0);
  public final AtomicInteger ingestRequests = new AtomicInteger();
  public volatile int maxRecords = Integer.MAX_VALUE;
  /** Answers carry {@code Outpost-Chain: 1}: this end claims to order chained batches. */
  public volatile boolean advertisesChain;
  /**
   * Every batch naming an {@code Outpost-After} is refused with 409 predecessor_not_stored after
   * 50 ms, as a restarted server (or another one behind a load balancer) does after its wait.
   */
  public volatile boolean forgetsChains;
  public final AtomicInteger chainedRequests = new AtomicInteger();
  /** The Content-Encoding of every ingest request ("identity" when it had none). */
  public final List<String> contentEncodings = new CopyOnWriteArrayList<>();
  private final Set<String> seen = ConcurrentHashMap.newKeySet();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

  public IngestFarEnd() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.setExecutor(executor);
    server.createContext("/healthz", ex -> {
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    server.createContext("/v1/health", ex -> {
      ex.getRequestBody().readAllBytes();
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    server.createContext("/v1/ingest", ex -> {
      ingestRequests.incrementAndGet();
      String contentEncoding = ex.getRequestHeaders().getFirst("Content-Encoding");
      contentEncodings.add(contentEncoding == null ? "identity" : contentEncoding);
      byte[] body = ex.getRequestBody().readAllBytes();
      int forced = forcedStatus.get();
      byte[] answer;
      int status;
      boolean chained = ex.getRequestHeaders().containsKey("Outpost-After");
      if (chained) {
        chainedRequests.incrementAndGet();
      }
      if (advertisesChain) {
        ex.getResponseHeaders().add("Outpost-Chain", "1");
      }
      if (chained && forgetsChains) {
        try {
          Thread.sleep(50); // the server's wait for a predecessor it never sees, not a test wait
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        status = 409;
        answer = "{\"error\":{\"code\":\"predecessor_not_stored\",\"message\":\"unknown batch\"}}"
            .getBytes(StandardCharsets.UTF_8);
      } else if (forced != 0) {
        status = forced;
        answer = ("{\"error\":{\"code\":\"forced\",\"message\":\"forced " + forced + "\"}}")
            .getBytes(StandardCharsets.UTF_8);
      } else {
        Batch b = WireCodec.decodeBatch(ex.getRequestHeaders().getFirst("Content-Type"),
            ContentEncoding.parse(ex.getRequestHeaders().getFirst("Content-Encoding")).decode(body, 64 << 20));
        if (b.size() > maxRecords) {
          status = 413;
          answer = "{\"error\":{\"code\":\"too_large\",\"message\":\"batch too large\"}}".getBytes(StandardCharsets.UTF_8);
        } else {
          status = 200;
          answer = WireCodec.encodeResult(new BatchResult(ingest(b), System.currentTimeMillis()));
        }
      }
      ex.sendResponseHeaders(status, answer.length);
      ex.getResponseBody().write(answer);
      ex.close();
    });
    server.start();
  }

  private synchronized List<RecordResult> ingest(Batch b) {
    batchSizes.add(b.size());
    List<RecordResult> results = new ArrayList<>();
    for (Message m : b.messages()) {
      if (m.topic().startsWith("bad/")) {
        results.add(RecordResult.rejected(m.seq(), "topic " + m.topic() + " is not allowed"));
      } else if (seen.add(b.epoch() + "/" + m.seq())) {
        stored.add(m);
        results.add(RecordResult.stored(m.seq()));
      } else {
        results.add(RecordResult.duplicate(m.seq()));
      }
    }
    return results;
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
