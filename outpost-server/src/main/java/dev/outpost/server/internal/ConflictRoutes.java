package dev.outpost.server.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.core.sync.CollectionRules;
import dev.outpost.core.sync.Hlc;
import dev.outpost.core.sync.Op;
import dev.outpost.core.sync.ServerMerge;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Conflicts of {@code manual} collections, for a person (admin token):
 * {@code GET /v1/conflicts?open=true&after=ID&limit=N} lists them with both values, who wrote them
 * and when; {@code POST /v1/conflicts/{id}/resolve} with {@code {"take": "current"}},
 * {@code {"take": "proposed"}} or {@code {"value": X}} writes the chosen value as a new write (so
 * every replica gets it at its next pull) and marks the conflict resolved, in one transaction.
 */
public final class ConflictRoutes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_LIMIT = 1000;

  private final SyncMerger sync;
  private final DocStore docs;
  private final AdminAuth admin;

  public ConflictRoutes(SyncMerger sync, DocStore docs, AdminAuth admin) {
    this.sync = sync;
    this.docs = docs;
    this.admin = admin;
  }

  public void register(HttpRouting.Builder r) {
    r.get("/v1/conflicts", this::list).post("/v1/conflicts/{id}/resolve", this::resolve);
  }

  private void list(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    boolean open = !req.query().contains("open") || !"false".equals(req.query().get("open"));
    long after = parse(req, "after", 0, Long.MAX_VALUE, 0);
    int limit = (int) parse(req, "limit", 1, MAX_LIMIT, 100);
    List<DocStore.ConflictRow> rows = docs.conflicts(open, after, limit);
    ReadRoutes.sendJson(res, 200, g -> {
      g.writeStartObject();
      g.writeArrayFieldStart("conflicts");
      for (DocStore.ConflictRow c : rows) {
        write(g, c);
      }
      g.writeEndArray();
      if (rows.size() < limit) {
        g.writeNullField("next");
      } else {
        g.writeNumberField("next", rows.get(rows.size() - 1).id());
      }
      g.writeEndObject();
    });
  }

  private void resolve(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    long id;
    try {
      id = Long.parseLong(req.path().pathParameters().get("id"));
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("bad_id", "a conflict id is a number");
    }
    JsonNode body;
    try {
      body = JSON.readTree(HttpBodies.read(req, 1 << 20));
    } catch (IOException e) {
      throw ApiException.badRequest("bad_json", "the body is not JSON: " + e.getMessage());
    }
    String take = body != null && body.has("take") ? body.get("take").asText() : null;
    boolean valueGiven = body != null && body.has("value");
    if (body == null || !body.isObject() || (take == null) == !valueGiven || (take != null
        && !take.equals("current") && !take.equals("proposed"))) {
      throw ApiException.badRequest("bad_resolution",
          "give {\"take\": \"current\"}, {\"take\": \"proposed\"} or {\"value\": <the value>}");
    }
    String resolution = take != null ? "took " + take : "value";
    Optional<dev.outpost.core.sync.Document> doc;
    try {
      doc = docs.resolve(id, (d, c) -> {
        CollectionRules rules = sync.collections().get(c.collection()).orElseThrow(() -> new ApiException(409,
            "unknown_collection", "collection '" + c.collection() + "' is no longer in the sync config")).rules();
        JsonNode value = valueGiven ? body.get("value") : parseValue("current".equals(take) ? c.current() : c.proposed());
        ServerMerge.Conflict k = new ServerMerge.Conflict(c.collection(), c.docId(), c.field(), null,
            Hlc.parse(c.currentAt()), null, Hlc.parse(c.proposedAt()));
        Op op = ServerMerge.resolve(d, k, value, sync.clock());
        try {
          ServerMerge.apply(d, op, rules, sync.clock());
        } catch (IllegalArgumentException e) {
          throw ApiException.badRequest("refused", e.getMessage());
        }
      }, resolution, System.currentTimeMillis());
    } catch (IllegalStateException e) {
      throw new ApiException(409, "resolved", e.getMessage());
    }
    if (doc.isEmpty()) {
      throw new ApiException(404, "not_found", "no conflict " + id);
    }
    dev.outpost.core.sync.Document d = doc.get();
    ReadRoutes.sendJson(res, 200, g -> DocRoutes.writeDoc(g, d.collection(), d.id(), d,
        docs.get(d.collection(), d.id()).map(DocStore.StoredDoc::seq).orElse(0L)));
  }

  private static JsonNode parseValue(String json) {
    try {
      return json == null ? null : JSON.readTree(json);
    } catch (IOException e) {
      throw new StoreException("a stored conflict value is unreadable: " + e.getMessage(), e);
    }
  }

  private static long parse(ServerRequest req, String name, long min, long max, long dflt) {
    if (!req.query().contains(name)) {
      return dflt;
    }
    try {
      long v = Long.parseLong(req.query().get(name));
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.badRequest("bad_" + name, name + " must be a whole number " + min + ".." + max);
  }

  private static void write(JsonGenerator g, DocStore.ConflictRow c) throws IOException {
    g.writeStartObject();
    g.writeNumberField("id", c.id());
    g.writeStringField("collection", c.collection());
    g.writeStringField("doc", c.docId());
    g.writeStringField("field", c.field());
    side(g, "current", c.current(), c.currentAt());
    side(g, "proposed", c.proposed(), c.proposedAt());
    g.writeNumberField("createdAt", c.createdAt());
    if (c.resolvedAt() == null) {
      g.writeNullField("resolvedAt");
    } else {
      g.writeNumberField("resolvedAt", c.resolvedAt());
    }
    g.writeStringField("resolution", c.resolution());
    g.writeEndObject();
  }

  private static void side(JsonGenerator g, String name, String value, String at) throws IOException {
    Hlc h = Hlc.parse(at);
    g.writeObjectFieldStart(name);
    g.writeFieldName("value");
    if (value == null) {
      g.writeNull();
    } else {
      g.writeRawValue(value);
    }
    g.writeStringField("by", h.node());
    g.writeNumberField("at", h.wallMillis());
    g.writeStringField("hlc", at);
    g.writeEndObject();
  }
}
