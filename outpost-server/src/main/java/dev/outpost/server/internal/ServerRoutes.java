package dev.outpost.server.internal;

import dev.outpost.core.wire.Protocol;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All of the HTTP API in one routing: ingest, read-back and admin, probes and metrics, plus the
 * error mapping that turns every failure into {@code {"error":{"code","message"}}} with the
 * right status (an unexpected exception is a logged 500, never a dead server).
 */
public final class ServerRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(ServerRoutes.class);
  private static final String INGEST = Protocol.INGEST_PATH;

  private final Store store;
  private final ServerMetrics metrics;
  private final IngestHandler ingest;
  private final ReadRoutes reads;
  private final DocRoutes docs;
  private final PullRoutes pull;
  private final ConflictRoutes conflicts;

  public ServerRoutes(Store store, ServerMetrics metrics, IngestHandler ingest, ReadRoutes reads, DocRoutes docs,
      PullRoutes pull, ConflictRoutes conflicts) {
    this.conflicts = conflicts;
    this.store = store;
    this.metrics = metrics;
    this.ingest = ingest;
    this.reads = reads;
    this.docs = docs;
    this.pull = pull;
  }

  public void register(HttpRouting.Builder r) {
    r.addFilter((chain, req, res) -> {
      try {
        chain.proceed();
      } finally {
        metrics.request(res.status().code());
      }
    });
    r.post(INGEST, ingest);
    reads.register(r);
    docs.register(r);
    pull.register(r);
    conflicts.register(r);
    r.get(Protocol.HEALTHZ_PATH, (req, res) -> ReadRoutes.sendJson(res, 200, g -> {
      g.writeStartObject();
      g.writeStringField("status", "ok");
      g.writeEndObject();
    }));
    r.get("/readyz", (req, res) -> {
      store.ping();
      ReadRoutes.sendJson(res, 200, g -> {
        g.writeStartObject();
        g.writeStringField("status", "ready");
        g.writeEndObject();
      });
    });
    r.get("/metrics", (req, res) -> {
      res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
      res.send(metrics.scrape().getBytes(StandardCharsets.UTF_8));
    });
    r.any((req, res) -> {
      throw new ApiException(404, "not_found", "no endpoint " + req.prologue().method().text() + " "
          + req.path().path() + " (see docs/protocol.md)");
    });
    r.error(ApiException.class, ServerRoutes::send);
    r.error(StoreException.class, (req, res, e) -> {
      LOG.warn("{} {}: store failed: {}", req.prologue().method().text(), req.path().path(), e.getMessage());
      send(req, res, new ApiException(503, "store_unavailable", e.getMessage(), 2));
    });
    r.error(Throwable.class, (req, res, e) -> {
      LOG.error("{} {} failed unexpectedly", req.prologue().method().text(), req.path().path(), e);
      send(req, res, new ApiException(500, "internal", "unexpected server error: " + e));
    });
  }

  /**
   * An error answer. The headers a handler set before it threw are gone by now (Helidon resets
   * the response for its error handlers), so an ingest answer gets its chaining advert again:
   * every ingest answer carries it (docs/protocol.md, "Chained sends").
   */
  static void send(ServerRequest req, ServerResponse res, ApiException e) {
    if (res.isSent()) {
      return;
    }
    if (req.prologue().method() == Method.POST && INGEST.equals(req.path().path())) {
      res.header(IngestHandler.CHAIN, "1");
    }
    send(res, e);
  }

  static void send(ServerResponse res, ApiException e) {
    if (res.isSent()) {
      return;
    }
    if (e.retryAfterSeconds() > 0) {
      res.header(HeaderNames.RETRY_AFTER, Integer.toString(e.retryAfterSeconds()));
    }
    try {
      ReadRoutes.sendJson(res, e.status(), g -> {
        g.writeStartObject();
        g.writeObjectFieldStart("error");
        g.writeStringField("code", e.code());
        g.writeStringField("message", e.getMessage());
        g.writeEndObject();
        g.writeEndObject();
      });
    } catch (IOException io) {
      LOG.warn("could not send error {}: {}", e.code(), io.getMessage());
    }
  }

}
