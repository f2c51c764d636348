package dev.outpost.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.outpost.agent.internal.AgentMetrics;
import dev.outpost.agent.internal.NdjsonBatch;
import dev.outpost.core.Priority;
import dev.outpost.edge.DeadLetter;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.Replica;
import dev.outpost.edge.ReplicaRefusedException;
import dev.outpost.edge.OutboxFullException;
import dev.outpost.edge.OutboxStorageException;
import dev.outpost.agent.UplinkStatus;
import dev.outpost.edge.RecordTooLargeException;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's local HTTP API, for producers in any language (Helidon SE, virtual threads):
 *
 * <table>
 *   <tr><td>{@code POST /v1/publish/{topic}?priority=HIGH}</td><td>body = payload; 202
 *       {@code {"seq":n}} once durable</td></tr>
 *   <tr><td>{@code POST /v1/publish?topic=&priority=}</td><td>NDJSON batch, one record a line
 *       (see {@link NdjsonBatch}); 202 once all of it is durable, all or nothing</td></tr>
 *   <tr><td>{@code GET /v1/status}</td><td>{@link StatusDocument}</td></tr>
 *   <tr><td>{@code POST /v1/dlq/retry}, {@code POST /v1/dlq/purge}</td><td>body
 *       {@code {"seqs":[…]}} or {@code {"all":true}}; used by {@code outpost dlq} while the agent
 *       runs, so the live outbox's counters stay right</td></tr>
 *   <tr><td>{@code GET /healthz}, {@code GET /readyz}, {@code GET /metrics}</td><td>liveness,
 *       readiness (503 while draining or closed), Prometheus text</td></tr>
 * </table>
 *
 * <p>Errors are JSON {@code {"error":{"code":…,"message":…}}}: 400 bad input, 413 too large, 507
 * outbox full (budget used up, or the file system full: nothing written), 500 storage_error (the
 * store could not commit; nothing written), 503 shutting down. A body over the request limit
 * (max of api.max-batch-bytes and the payload limit) is refused with 413 from its Content-Length
 * before it is read, and the connection is closed: a client sending such a body may see a reset
 * instead of the 413 unless it sends {@code Expect: 100-continue} (curl does for big bodies). A 202 is sent only after the outbox's durable
 * commit returned, so a crash after it loses nothing; a crash before it may or may not have
 * stored the record (the producer retries; the seq tells duplicates apart).
 *
 * <p>Thread-safe: requests run concurrently and share the outbox's group commit.
 */
public final class LocalApi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalApi.class);

  /** What the API needs to know; immutable. */
  public record Settings(
      String deviceId, String bind, int port, long maxBatchBytes, int maxBatchRecords, long maxPayloadBytes) {}

  private final Settings settings;
  private final Outbox outbox;
  private final Replica replica;
  private final Supplier<UplinkStatus> uplink;
  private final Runnable published;
  private final AgentMetrics metrics;
  private final WebServer server;
  private volatile boolean accepting = true;

  private LocalApi(Settings settings, Outbox outbox, Replica replica, Supplier<UplinkStatus> uplink,
      Runnable published) {
    this.settings = settings;
    this.outbox = outbox;
    this.replica = replica;
    this.uplink = uplink;
    this.published = published;
    this.metrics = new AgentMetrics(outbox, uplink);
    this.server = WebServer.builder()
        .host(settings.bind())
        .port(settings.port())
        .maxPayloadSize(Math.max(settings.maxBatchBytes(), settings.maxPayloadBytes()) + 1)
        .shutdownGracePeriod(Duration.ofMillis(500))
        .shutdownHook(false) // the agent stops the API itself, in order: refuse, then stop
        .routing(this::routes)
        .build();
  }

  /**
   * Starts listening; the port is known when this returns (use port 0 in tests).
   *
   * @param uplink the uplink's current status, for /v1/status and /metrics
   * @param published run after every successful publish (wakes the sync engine)
   */
  public static LocalApi start(
      Settings settings, Outbox outbox, Supplier<UplinkStatus> uplink, Runnable published) {
    return start(settings, outbox, null, uplink, published);
  }

  /**
   * With a replica: also serves {@code /v1/docs} (docs/agent.md, "Replicated documents").
   *
   * @param replica the device's replica, or null for none
   */
  public static LocalApi start(Settings settings, Outbox outbox, Replica replica, Supplier<UplinkStatus> uplink,
      Runnable published) {
    LocalApi api = new LocalApi(settings, outbox, replica, uplink, published);
    try {
      api.server.start();
      if (!api.server.isRunning()) {
        throw new IllegalStateException("the server did not start (see the log above; is the port in use?)");
      }
    } catch (RuntimeException e) {
      throw new IllegalStateException("the local API cannot listen on " + settings.bind() + ":" + settings.port()
          + " (config keys api.bind, api.port): " + rootMessage(e), e);
    }
    if (!isLoopback(settings.bind())) {
      log.warn("local API bound to {}: it has no authentication, anyone who can reach this address can publish",
          settings.bind());
    }
    log.info("local API listening on http://{}:{}", settings.bind(), api.port());
    return api;
  }

  public int port() {
    return server.port();
  }

  /** From now on publishes answer 503 and /readyz fails; reads still work. */
  public void stopAccepting() {
    accepting = false;
  }

  @Override
  public void close() {
    accepting = false;
    server.stop();
  }

  private void routes(HttpRouting.Builder r) {
    r.post("/v1/publish/{+topic}", (req, res) -> guarded(res, () -> publishOne(req, res)))
        .post("/v1/publish", (req, res) -> guarded(res, () -> publishBatch(req, res)))
        .post("/v1/dlq/retry", (req, res) -> guarded(res, () -> deadLetters(req, res, true)))
        .post("/v1/dlq/purge", (req, res) -> guarded(res, () -> deadLetters(req, res, false)))
        .get("/v1/status", (req, res) -> guarded(res, () -> json(res, Status.OK_200, status())))
        .get("/healthz", (req, res) -> json(res, Status.OK_200, obj("status", "up")))
        .get("/readyz", (req, res) -> guarded(res, () -> readiness(res)))
        .get("/metrics", (req, res) -> guarded(res, () -> {
          res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
          res.send(metrics.scrape().getBytes(StandardCharsets.UTF_8));
        }));
    if (replica != null) {
      DocsApi docs = new DocsApi(replica, published);
      r.get("/v1/docs/{collection}/changes", (req, res) -> guarded(res, () -> docs.changes(req, res)))
          .get("/v1/docs/{collection}/{id}", (req, res) -> guarded(res, () -> docs.get(req, res)))
          .get("/v1/docs/{collection}", (req, res) -> guarded(res, () -> docs.list(req, res)))
          .put("/v1/docs/{collection}/{id}", (req, res) -> guarded(res, () -> docs.write(req, res, "PUT")))
          .patch("/v1/docs/{collection}/{id}", (req, res) -> guarded(res, () -> docs.write(req, res, "PATCH")))
          .delete("/v1/docs/{collection}/{id}", (req, res) -> guarded(res, () -> docs.delete(req, res)));
    } else {
      r.any("/v1/docs/*", (req, res) -> error(res, Status.NOT_FOUND_404, "no_replica",
          "this agent keeps no replicated documents: set replica.config to a sync config file (docs/agent.md)"));
    }
  }

  private void publishOne(ServerRequest req, ServerResponse res) throws Exception {
    if (refuseWhenDraining(res)) {
      return;
    }
    String topic = req.path().pathParameters().get("topic");
    Priority priority = Priority.parse(req.query().contains("priority") ? req.query().get("priority") : "NORMAL");
    byte[] payload = req.content().hasEntity() ? req.content().as(byte[].class) : new byte[0];
    if (payload.length > settings.maxPayloadBytes()) {
      metrics.rejectedInvalid(1);
      error(res, Status.REQUEST_ENTITY_TOO_LARGE_413, "payload_too_large", "payload of " + payload.length
          + " bytes is larger than outbox.max-payload-bytes (" + settings.maxPayloadBytes() + ")");
      return;
    }
    long seq = outbox.append(topic, payload, priority, Map.of());
    metrics.published(priority, 1);
    published.run();
    ObjectNode body = obj("seq", null).put("seq", seq);
    body.put("topic", topic).put("priority", priority.name());
    json(res, Status.ACCEPTED_202, body);
  }

  private void publishBatch(ServerRequest req, ServerResponse res) throws Exception {
    if (refuseWhenDraining(res)) {
      return;
    }
    String topic = req.query().contains("topic") ? req.query().get("topic") : null;
    Priority priority = Priority.parse(req.query().contains("priority") ? req.query().get("priority") : "NORMAL");
    List<NewRecord> records;
    try (InputStream in = req.content().hasEntity() ? req.content().inputStream() : InputStream.nullInputStream()) {
      records = new NdjsonBatch(topic, priority, settings.maxBatchRecords(), settings.maxPayloadBytes()).read(in);
    }
    List<Long> seqs = outbox.appendAll(records);
    for (NewRecord r : records) {
      metrics.published(r.priority(), 1);
    }
    published.run();
    ObjectNode body = StatusDocument.JSON.createObjectNode();
    body.put("accepted", seqs.size());
    body.put("first_seq", seqs.getFirst());
    body.put("last_seq", seqs.getLast());
    seqs.forEach(body.putArray("seqs")::add);
    json(res, Status.ACCEPTED_202, body);
  }

  /** Body {@code {"seqs": [1, 2]}} or {@code {"all": true}}; answers {@code {"count": n}}. */
  private void deadLetters(ServerRequest req, ServerResponse res, boolean retry) throws Exception {
    JsonNode body = StatusDocument.JSON.readTree(req.content().hasEntity() ? req.content().as(byte[].class) : new byte[0]);
    if (body == null || !body.isObject() || !(body.path("all").asBoolean() || body.path("seqs").isArray())) {
      throw new IllegalArgumentException("expected {\"seqs\": [...]} or {\"all\": true}");
    }
    List<Long> seqs = new ArrayList<>();
    if (body.path("all").asBoolean()) {
      for (List<DeadLetter> page = outbox.deadLetters(0, 1000); !page.isEmpty();
          page = outbox.deadLetters(page.getLast().message().seq(), 1000)) {
        page.forEach(d -> seqs.add(d.message().seq()));
      }
    } else {
      body.path("seqs").forEach(n -> seqs.add(n.asLong()));
    }
    int count = retry ? outbox.retryDeadLetters(seqs) : outbox.purgeDeadLetters(seqs);
    if (retry && count > 0) {
      published.run();
    }
    ObjectNode out = StatusDocument.JSON.createObjectNode();
    out.put("count", count);
    json(res, Status.OK_200, out);
  }

  private ObjectNode status() {
    String state = accepting ? "running" : "draining";
    ObjectNode doc = StatusDocument.of(settings.deviceId(), state, outbox.stats(), uplink.get());
    if (replica != null) {
      // how old the local copy is: an app can tell "fresh" from "last pulled yesterday"
      long last = replica.lastPullMillis();
      ObjectNode r = doc.putObject("replica");
      r.put("node", replica.node());
      r.put("last_pull_at", last);
      if (last > 0) {
        r.put("data_age_ms", Math.max(0, System.currentTimeMillis() - last));
      } else {
        r.putNull("data_age_ms");
      }
      r.put("last_change", replica.lastChange());
      r.put("clock_behind_writes", replica.skewedWrites());
      ObjectNode pending = r.putObject("pending_ops");
      replica.pendingOps().forEach(pending::put);
    }
    return doc;
  }

  private void readiness(ServerResponse res) {
    if (!accepting) {
      error(res, Status.SERVICE_UNAVAILABLE_503, "draining", "the agent is shutting down");
      return;
    }
    outbox.stats(); // throws if the store is closed
    json(res, Status.OK_200, obj("status", "ready"));
  }

  private boolean refuseWhenDraining(ServerResponse res) {
    if (!accepting) {
      error(res, Status.SERVICE_UNAVAILABLE_503, "draining", "the agent is shutting down; retry later");
      return true;
    }
    return false;
  }

  private interface Action {
    void run() throws Exception;
  }

  /** Maps failures to answers: nothing was written on any of them. */
  private void guarded(ServerResponse res, Action action) {
    try {
      action.run();
    } catch (ReplicaRefusedException e) {
      boolean readOnly = e.reason() == ReplicaRefusedException.Reason.READ_ONLY;
      error(res, readOnly ? Status.FORBIDDEN_403 : Status.NOT_FOUND_404, readOnly ? "read_only" : "unknown_collection",
          e.getMessage());
    } catch (DocsApi.NotFound e) {
      error(res, Status.NOT_FOUND_404, "not_found", e.getMessage());
    } catch (NdjsonBatch.TooLargeException | RecordTooLargeException e) {
      metrics.rejectedInvalid(1);
      error(res, Status.REQUEST_ENTITY_TOO_LARGE_413, "too_large", e.getMessage());
    } catch (OutboxFullException e) {
      // the budget, or the file system itself (OutboxDiskFullException, "outbox full: disk full at ...")
      metrics.rejectedFull(1);
      error(res, Status.INSUFFICIENT_STORAGE_507, "outbox_full", e.getMessage());
    } catch (OutboxStorageException e) {
      log.warn("local API request failed on storage: {}", e.getMessage());
      error(res, Status.INTERNAL_SERVER_ERROR_500, "storage_error", e.getMessage());
    } catch (IllegalArgumentException e) {
      metrics.rejectedInvalid(1);
      error(res, Status.BAD_REQUEST_400, "bad_request", e.getMessage());
    } catch (IllegalStateException e) {
      error(res, Status.SERVICE_UNAVAILABLE_503, "unavailable", String.valueOf(e.getMessage()));
    } catch (Exception e) {
      log.warn("local API request failed: {}", e.toString(), e);
      error(res, Status.INTERNAL_SERVER_ERROR_500, "internal", e.toString());
    }
  }

  private static boolean isLoopback(String bind) {
    return bind.equals("localhost") || bind.startsWith("127.") || bind.equals("::1") || bind.equals("[::1]");
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  private static ObjectNode obj(String key, String value) {
    ObjectNode n = StatusDocument.JSON.createObjectNode();
    if (value != null) {
      n.put(key, value);
    }
    return n;
  }

  static void error(ServerResponse res, Status status, String code, String message) {
    ObjectNode body = StatusDocument.JSON.createObjectNode();
    body.putObject("error").put("code", code).put("message", message);
    json(res, status, body);
  }

  static void json(ServerResponse res, Status status, ObjectNode body) {
    try {
      res.status(status);
      res.header(HeaderNames.CONTENT_TYPE, "application/json");
      res.send(StatusDocument.JSON.writeValueAsBytes(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
