package dev.outpost.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.outpost.edge.Replica;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The agent's document API over the device's {@link Replica}, for apps in any language
 * (docs/agent.md, "Replicated documents"): reads never touch the network; a write answers once
 * durable, together with the op that carries it up, with the document's new local state. Routes
 * are registered by {@link LocalApi}, which maps refusals to answers (403 read-only, 404 unknown
 * collection or document, 400 a field against its kind, naming it).
 */
final class DocsApi {
  private static final int MAX_BODY_BYTES = 1 << 20;
  private static final long MAX_WAIT_SECONDS = 30;
  private final Replica replica;
  private final Runnable written;

  /** @param written run after every committed write: wakes the uplink so its op goes up at once */
  DocsApi(Replica replica, Runnable written) {
    this.replica = replica;
    this.written = written;
  }

  /** A document that is absent or deleted. */
  static final class NotFound extends RuntimeException {
    NotFound(String message) {
      super(message);
    }
  }

  void get(ServerRequest req, ServerResponse res) {
    String collection = req.path().pathParameters().get("collection");
    String id = req.path().pathParameters().get("id");
    ObjectNode doc = replica.collection(collection).get(id)
        .orElseThrow(() -> new NotFound(collection + "/" + id + " is not in this device's replica (never written, deleted,"
            + " or not pulled yet)"));
    LocalApi.json(res, Status.OK_200, answer(collection, id, doc));
  }

  /** {@code ?where.F=V&after=ID&limit=N}: V is JSON when it parses (3, true), else a string. */
  void list(ServerRequest req, ServerResponse res) {
    String collection = req.path().pathParameters().get("collection");
    Map<String, JsonNode> where = new TreeMap<>();
    for (String name : req.query().names()) {
      if (name.startsWith("where.") && name.length() > 6) {
        where.put(name.substring(6), value(req.query().get(name)));
      } else if (!name.equals("after") && !name.equals("limit")) {
        throw new IllegalArgumentException("unknown query parameter '" + name + "' (where.FIELD, after, limit)");
      }
    }
    int limit = number(req, "limit", 100, 1, 10_000);
    Replica.Page page = replica.collection(collection).query(where,
        req.query().contains("after") ? req.query().get("after") : null, limit);
    ObjectNode out = StatusDocument.JSON.createObjectNode();
    ArrayNode docs = out.putArray("docs");
    for (Replica.Doc d : page.docs()) {
      docs.addObject().put("id", d.id()).set("doc", d.fields());
    }
    out.put("next", page.next());
    LocalApi.json(res, Status.OK_200, out);
  }

  void write(ServerRequest req, ServerResponse res, String method) throws IOException {
    String collection = req.path().pathParameters().get("collection");
    String id = req.path().pathParameters().get("id");
    byte[] raw = req.content().hasEntity() ? req.content().as(byte[].class) : new byte[0];
    if (raw.length > MAX_BODY_BYTES) {
      throw new IllegalArgumentException("the body is " + raw.length + " bytes, over " + MAX_BODY_BYTES);
    }
    JsonNode body;
    try {
      body = StatusDocument.JSON.readTree(raw);
    } catch (IOException e) {
      throw new IllegalArgumentException("the body is not JSON: " + e.getMessage());
    }
    if (body == null || !body.isObject()) {
      throw new IllegalArgumentException("the body must be a JSON object of fields");
    }
    Replica.Documents docs = replica.collection(collection);
    ObjectNode doc = method.equals("PUT") ? docs.put(id, (ObjectNode) body) : docs.patch(id, (ObjectNode) body);
    written.run();
    LocalApi.json(res, Status.OK_200, answer(collection, id, doc));
  }

  void delete(ServerRequest req, ServerResponse res) {
    String collection = req.path().pathParameters().get("collection");
    String id = req.path().pathParameters().get("id");
    if (!replica.collection(collection).delete(id)) {
      throw new NotFound(collection + "/" + id + " is not in this device's replica");
    }
    written.run();
    res.status(Status.NO_CONTENT_204).send();
  }

  /**
   * {@code ?after=N&wait=S&limit=L}: the documents changed after local change N (local writes and
   * pulled changes; a deleted or removed one with a null doc), each at its latest, with
   * {@code next} to pass as {@code after}; with {@code wait} an empty answer waits up to S seconds
   * for the next change. {@code "resync": true} when N is so old that removals after it were
   * pruned: the caller drops its copy and reads from 0.
   */
  void changes(ServerRequest req, ServerResponse res) throws InterruptedException {
    String collection = req.path().pathParameters().get("collection");
    long after = number(req, "after", 0, 0, Long.MAX_VALUE);
    long wait = number(req, "wait", 0, 0, MAX_WAIT_SECONDS);
    int limit = number(req, "limit", 1000, 1, 10_000);
    CountDownLatch changed = new CountDownLatch(1);
    List<Replica.Change> page;
    // listen first, then read: a change committed between the two still wakes the wait
    try (AutoCloseable ignored = replica.observe(collection, c -> changed.countDown())) {
      page = replica.changesAfter(collection, after, limit);
      if (page.isEmpty() && wait > 0 && changed.await(wait, TimeUnit.SECONDS)) {
        page = replica.changesAfter(collection, after, limit);
      }
    } catch (InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e); // closing an observer throws nothing
    }
    ObjectNode out = StatusDocument.JSON.createObjectNode();
    ArrayNode changes = out.putArray("changes");
    long next = after;
    for (Replica.Change c : page) {
      ObjectNode o = changes.addObject().put("id", c.id()).put("change", c.number());
      o.set("doc", c.doc());
      next = Math.max(next, c.number());
    }
    out.put("next", next);
    if (after > 0 && after < replica.changesCompleteAfter()) {
      // removals after the caller's cursor were pruned: its copy may hold documents gone here
      out.put("resync", true);
    }
    LocalApi.json(res, Status.OK_200, out);
  }

  private static ObjectNode answer(String collection, String id, ObjectNode doc) {
    ObjectNode out = StatusDocument.JSON.createObjectNode().put("collection", collection).put("id", id);
    out.set("doc", doc);
    return out;
  }

  private static JsonNode value(String text) {
    try {
      JsonNode n = StatusDocument.JSON.readTree(text);
      return n != null && n.isValueNode() && !n.isNull() ? n : TextNode.valueOf(text);
    } catch (IOException e) {
      return TextNode.valueOf(text);
    }
  }

  private static int number(ServerRequest req, String name, int dflt, int min, int max) {
    return (int) number(req, name, (long) dflt, min, max);
  }

  private static long number(ServerRequest req, String name, long dflt, long min, long max) {
    if (!req.query().contains(name)) {
      return dflt;
    }
    String v = req.query().get(name);
    try {
      long n = Long.parseLong(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new IllegalArgumentException(name + " must be a whole number " + min + ".." + max + ", was '" + v + "'");
  }
}
