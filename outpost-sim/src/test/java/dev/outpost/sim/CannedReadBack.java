package dev.outpost.sim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.outpost.core.wire.WireCodec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the server's read-back endpoint (a JDK HttpServer, an external edge): serves
 * canned records in pages exactly in the documented format, behind a bearer token.
 */
final class CannedReadBack implements AutoCloseable {
  record Row(String device, long epoch, long seq, String topic, String priority, String payload64) {}

  final List<Row> rows = new CopyOnWriteArrayList<>();
  final AtomicInteger pagesServed = new AtomicInteger();
  private final HttpServer server;

  CannedReadBack(String adminToken) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
    server.createContext("/v1/messages", ex -> {
      byte[] answer;
      int status = 200;
      if (!("Bearer " + adminToken).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        status = 401;
        answer = "{\"error\":{\"code\":\"unauthorized\",\"message\":\"bad token\"}}".getBytes();
      } else {
        Map<String, String> q = new HashMap<>();
        for (String kv : ex.getRequestURI().getQuery().split("&")) {
          q.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        answer = page(Long.parseLong(q.get("after")), Integer.parseInt(q.get("limit")));
        pagesServed.incrementAndGet();
      }
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(status, answer.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(answer);
      }
    });
    server.start();
  }

  /** Server seqs are 10, 20, 30, … so a cursor is not a row index. */
  private byte[] page(long after, int limit) throws IOException {
    ObjectNode root = WireCodec.mapper().createObjectNode();
    ArrayNode messages = root.putArray("messages");
    long next = after;
    for (int i = 0; i < rows.size() && messages.size() < limit; i++) {
      long serverSeq = (i + 1) * 10L;
      if (serverSeq <= after) {
        continue;
      }
      Row r = rows.get(i);
      ObjectNode m = messages.addObject()
          .put("serverSeq", serverSeq).put("device", r.device()).put("epoch", r.epoch())
          .put("seq", r.seq()).put("topic", r.topic()).put("priority", r.priority())
          .put("ts", 1_700_000_000_000L).put("receivedAt", 1_700_000_000_500L);
      m.putObject("headers").put("k", "v");
      if (r.payload64() != null) {
        m.put("payload64", r.payload64());
      } else {
        m.put("payload", "p" + r.seq());
      }
      next = serverSeq;
    }
    root.put("next", next);
    return WireCodec.mapper().writeValueAsBytes(root);
  }

  void add(String device, long epoch, long seq, String topic, String priority) {
    rows.add(new Row(device, epoch, seq, topic, priority, null));
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
