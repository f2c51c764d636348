package dev.outpost.server.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.outpost.core.sync.CollectionRules;
import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.HlcClock;
import dev.outpost.core.sync.MergePatch;
import dev.outpost.core.sync.Op;
import dev.outpost.core.sync.ServerMerge;
import dev.outpost.core.sync.SyncJson;
import dev.outpost.server.SyncCollections;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The back office's document API (admin token): read a document, list a collection, and write
 * with {@code PUT} (replace the register fields), {@code PATCH} (a JSON merge patch, plus
 * {@code {"$inc": n}} on counters and {@code {"$add": [..]}}, {@code {"$remove": [..]}} on sets)
 * and {@code DELETE}. Writes are stamped with the server's clock and merged with
 * {@link ServerMerge} by the collection's rules, in one transaction with their feed positions;
 * each answers with the document's new state once that committed. A request against the rules
 * is {@code 400} naming the field and the rule, and changes nothing. docs/sync-model.md has
 * curl examples.
 */
public final class DocRoutes {
  static final Pattern ID = Pattern.compile("[A-Za-z0-9_.:@-]{1,256}");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY_BYTES = 1 << 20;
  private static final int MAX_IMPORT = 10_000;
  private static final int MAX_IMPORT_BYTES = 32 << 20;
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 1000;

  private final java.util.function.Supplier<SyncCollections> live;
  private final DocStore docs;
  private final HlcClock clock;
  private final AdminAuth admin;

  public DocRoutes(java.util.function.Supplier<SyncCollections> collections, DocStore docs, HlcClock clock, AdminAuth admin) {
    this.live = collections;
    this.docs = docs;
    this.clock = clock;
    this.admin = admin;
  }

  public void register(HttpRouting.Builder r) {
    r.get("/v1/sync/config", this::getConfig)
        .put("/v1/sync/config", this::putConfig)
        .get("/v1/docs/{collection}", this::list)
        .post("/v1/docs/{collection}", this::importDocs)
        .post("/v1/docs/{collection}/{id}/ops", this::ops)
        .get("/v1/docs/{collection}/{id}", this::get)
        .put("/v1/docs/{collection}/{id}", this::put)
        .patch("/v1/docs/{collection}/{id}", this::patch)
        .delete("/v1/docs/{collection}/{id}", this::delete);
  }

  /** The sync config served now, as the YAML (or JSON) text it was given in. */
  private void getConfig(ServerRequest req, ServerResponse res) {
    admin.check(req);
    res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "application/yaml; charset=utf-8");
    res.send(live.get().source().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * Replaces the sync config (YAML or JSON, the shape of {@code --sync-config}): checked as at
   * start-up (a refusal is {@code 400} naming the key and changes nothing), stored, and served by
   * every server on the store within seconds. Devices whose subscription it changes resync.
   */
  private void putConfig(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    String text = new String(HttpBodies.read(req, MAX_BODY_BYTES), java.nio.charset.StandardCharsets.UTF_8);
    if (!(live instanceof LiveCollections changeable)) {
      throw new ApiException(409, "fixed_config", "this server's sync config cannot be changed at run time");
    }
    SyncCollections next;
    try {
      next = changeable.replace(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("bad_sync_config", e.getMessage());
    }
    ReadRoutes.sendJson(res, 200, g -> {
      g.writeStartObject();
      g.writeArrayFieldStart("collections");
      for (String name : new java.util.TreeSet<>(next.all().keySet())) {
        g.writeString(name);
      }
      g.writeEndArray();
      g.writeEndObject();
    });
  }

  private CollectionRules rules(ServerRequest req) {
    String name = req.path().pathParameters().get("collection");
    return live.get().get(name).orElseThrow(() -> new ApiException(404, "unknown_collection",
        "no collection '" + name + "' in the server's sync config (--sync-config)")).rules();
  }

  private static String id(ServerRequest req) {
    String id = req.path().pathParameters().get("id");
    if (!ID.matcher(id).matches()) {
      throw ApiException.badRequest("bad_id", "document id '" + id + "' must be 1 to 256 of A-Z a-z 0-9 _ . : @ -");
    }
    return id;
  }

  private void get(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    CollectionRules rules = rules(req);
    String id = id(req);
    DocStore.StoredDoc d = docs.get(rules.name(), id).filter(x -> x.view() != null).orElseThrow(() ->
        new ApiException(404, "not_found", rules.name() + "/" + id + " does not exist (never written, or deleted)"));
    ReadRoutes.sendJson(res, 200, g -> writeDoc(g, d.collection(), d.id(), d.state(), d.seq()));
  }

  private void list(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    CollectionRules rules = rules(req);
    String after = req.query().contains("after") ? req.query().get("after") : null;
    int limit = DEFAULT_LIMIT;
    if (req.query().contains("limit")) {
      try {
        limit = Integer.parseInt(req.query().get("limit"));
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        throw ApiException.badRequest("bad_limit", "limit must be 1.." + MAX_LIMIT + ", was " + req.query().get("limit"));
      }
    }
    int max = limit;
    List<DocStore.StoredDoc> page = docs.list(rules.name(), after, max);
    ReadRoutes.sendJson(res, 200, g -> {
      g.writeStartObject();
      g.writeArrayFieldStart("docs");
      for (DocStore.StoredDoc d : page) {
        writeDoc(g, d.collection(), d.id(), d.state(), d.seq());
      }
      g.writeEndArray();
      if (page.isEmpty() || page.size() < max) {
        g.writeNullField("next");
      } else {
        g.writeStringField("next", page.get(page.size() - 1).id());
      }
      g.writeEndObject();
    });
  }

  private void put(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    CollectionRules rules = rules(req);
    String id = id(req);
    ObjectNode body = body(req, MAX_BODY_BYTES);
    checkRegistersOnly(rules, body);
    write(res, rules, id, doc -> List.of(replace(rules, doc, body)));
  }

  /** PUT replaces register fields only: counters and sets change with PATCH (400 naming the field). */
  private static void checkRegistersOnly(CollectionRules rules, ObjectNode fields) {
    try {
      MergePatch.checkRegisters(fields, rules);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("bad_field", e.getMessage());
    }
  }

  /** A patch that makes the document's register fields exactly {@code fields} (others removed). */
  private Op replace(CollectionRules rules, Document doc, ObjectNode fields) {
    return MergePatch.replace(doc, fields, rules, clock);
  }

  /**
   * {@code POST /v1/docs/{collection}} with {@code {"docs": [{"id": .., "doc": {fields}}, ..]}}:
   * replaces each document's register fields as PUT does, up to {@value #MAX_IMPORT} documents in
   * one transaction (a price list, a catalogue). All or nothing: one bad document refuses the lot,
   * naming it. Answers {@code {"written": n}}.
   */
  private void importDocs(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    CollectionRules rules = rules(req);
    ObjectNode body = body(req, MAX_IMPORT_BYTES);
    JsonNode list = body.get("docs");
    if (list == null || !list.isArray() || list.isEmpty() || list.size() > MAX_IMPORT) {
      throw ApiException.badRequest("bad_import", "give {\"docs\": [{\"id\": \"..\", \"doc\": {fields}}, ..]} with 1 to "
          + MAX_IMPORT + " documents");
    }
    Map<String, ObjectNode> byId = new java.util.LinkedHashMap<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode e = list.get(i);
      String id = e.path("id").asText("");
      if (!ID.matcher(id).matches()) {
        throw ApiException.badRequest("bad_id", "docs[" + i + "].id '" + id + "' must be 1 to 256 of A-Z a-z 0-9 _ . : @ -");
      }
      if (!(e.get("doc") instanceof ObjectNode fields)) {
        throw ApiException.badRequest("bad_import", "docs[" + i + "] (" + id + ") needs \"doc\": an object of fields");
      }
      checkRegistersOnly(rules, fields);
      if (byId.put(id, fields) != null) {
        throw ApiException.badRequest("bad_import", "docs[" + i + "]: " + id + " is named twice");
      }
    }
    int written = docs.update(rules.name(), byId.keySet(), current -> {
      List<Document> changed = new ArrayList<>(byId.size());
      byId.forEach((id, fields) -> {
        Document doc = current.get(id);
        for (Op op : opsOrBadRequest(d -> List.of(replace(rules, d, fields)), doc)) {
          merge(rules, doc, op);
        }
        changed.add(doc);
      });
      return new DocStore.Change<>(changed, changed.size());
    });
    ReadRoutes.sendJson(res, 200, g -> {
      g.writeStartObject();
      g.writeNumberField("written", written);
      g.writeEndObject();
    });
  }

  /**
   * {@code POST /v1/docs/{collection}/{id}/ops} with {@code {"ops": [..]}}: ops as a device would
   * send them, without times (the server stamps each with its clock), applied in order in one
   * transaction: {@code {"op":"patch","set":{..}}}, {@code {"op":"increment","field":f,"delta":n}},
   * {@code {"op":"add"|"remove","field":f,"elements":[..]}}, {@code {"op":"delete"}}.
   */
  private void ops(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    CollectionRules rules = rules(req);
    String id = id(req);
    ObjectNode body = body(req, MAX_BODY_BYTES);
    JsonNode list = body.get("ops");
    if (list == null || !list.isArray() || list.isEmpty() || list.size() > 1000) {
      throw ApiException.badRequest("bad_ops", "give {\"ops\": [..]} with 1 to 1000 ops");
    }
    write(res, rules, id, doc -> {
      List<Op> made = new ArrayList<>();
      Document scratch = doc.copy(); // each op is made from the state the ones before it leave
      for (int i = 0; i < list.size(); i++) {
        Op op = backOfficeOp(rules, scratch, list.get(i), "ops[" + i + "]");
        scratch.apply(op);
        made.add(op);
      }
      return made;
    });
  }

  private Op backOfficeOp(CollectionRules rules, Document doc, JsonNode o, String where) {
    String kind = o.path("op").asText("");
    return switch (kind) {
      case "patch" -> {
        if (!(o.get("set") instanceof ObjectNode set)) {
          throw ApiException.badRequest("bad_ops", where + ": a patch needs \"set\": an object of fields (null removes one)");
        }
        checkRegistersOnly(rules, set);
        Map<String, JsonNode> fields = new HashMap<>();
        set.fields().forEachRemaining(e -> {
          SyncJson.checkValue(e.getValue(), rules.name() + "." + e.getKey());
          fields.put(e.getKey(), e.getValue());
        });
        yield doc.patch(clock.now(), fields);
      }
      case "increment" -> {
        JsonNode delta = o.get("delta");
        if (delta == null || !delta.isIntegralNumber() || !delta.canConvertToLong()) {
          throw ApiException.badRequest("bad_ops", where + ": an increment needs \"delta\": a whole number");
        }
        yield doc.increment(clock.now(), o.path("field").asText(""), delta.asLong());
      }
      case "add", "remove" -> {
        JsonNode elements = o.get("elements");
        if (elements == null || !elements.isArray()) {
          throw ApiException.badRequest("bad_ops", where + ": " + kind + " needs \"elements\": an array");
        }
        yield kind.equals("add") ? doc.changeSet(clock.now(), o.path("field").asText(""), elements(elements), List.of())
            : doc.changeSet(clock.now(), o.path("field").asText(""), List.of(), elements(elements));
      }
      case "delete" -> doc.delete(clock.now());
      default -> throw ApiException.badRequest("bad_ops", where + ": unknown op '" + kind
          + "' (patch, increment, add, remove, delete)");
    };
  }

  private void patch(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    CollectionRules rules = rules(req);
    String id = id(req);
    ObjectNode body = body(req, MAX_BODY_BYTES);
    write(res, rules, id, doc -> MergePatch.patch(doc, body, rules, clock));
  }

  private void delete(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    CollectionRules rules = rules(req);
    String id = id(req);
    boolean existed = docs.update(rules.name(), id, doc -> {
      if (!doc.exists()) {
        return new DocStore.Change<>(List.of(), false);
      }
      ServerMerge.apply(doc, doc.delete(clock.now()), rules, clock);
      return new DocStore.Change<>(List.of(doc), true);
    });
    if (!existed) {
      throw new ApiException(404, "not_found", rules.name() + "/" + id + " does not exist (never written, or deleted)");
    }
    res.status(Status.NO_CONTENT_204).send();
  }

  /** Makes ops from the current state, merges them, writes the document, answers its new state. */
  private void write(ServerResponse res, CollectionRules rules, String id,
      java.util.function.Function<Document, List<Op>> makeOps) throws IOException {
    Document after = docs.update(rules.name(), id, doc -> {
      for (Op op : opsOrBadRequest(makeOps, doc)) {
        merge(rules, doc, op);
      }
      return new DocStore.Change<>(List.of(doc), doc);
    });
    long seq = docs.get(rules.name(), id).map(DocStore.StoredDoc::seq).orElse(0L);
    ReadRoutes.sendJson(res, 200, g -> writeDoc(g, rules.name(), id, after, seq));
  }

  private void merge(CollectionRules rules, Document doc, Op op) {
    try {
      ServerMerge.apply(doc, op, rules, clock);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("refused", e.getMessage());
    }
  }

  private static List<Op> opsOrBadRequest(java.util.function.Function<Document, List<Op>> makeOps, Document doc) {
    try {
      return makeOps.apply(doc);
    } catch (IllegalArgumentException e) { // a field name or value the model refuses
      throw ApiException.badRequest("bad_field", e.getMessage());
    }
  }

  private static List<JsonNode> elements(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    if (array != null) {
      array.forEach(out::add);
    }
    return out;
  }

  private static ObjectNode body(ServerRequest req, int maxBytes) {
    byte[] raw = HttpBodies.read(req, maxBytes);
    JsonNode n;
    try {
      n = JSON.readTree(raw);
    } catch (IOException e) {
      throw ApiException.badRequest("bad_json", "the body is not JSON: " + e.getMessage());
    }
    if (n == null || !n.isObject()) {
      throw ApiException.badRequest("bad_json", "the body must be a JSON object of fields");
    }
    return (ObjectNode) n;
  }

  /** {"collection", "id", "version", "seq", "doc"}: doc null when deleted. */
  static void writeDoc(JsonGenerator g, String collection, String id, Document d, long seq) throws IOException {
    g.writeStartObject();
    g.writeStringField("collection", collection);
    g.writeStringField("id", id);
    g.writeStringField("version", d.version() == null ? null : d.version().toString());
    g.writeNumberField("seq", seq);
    g.writeFieldName("doc");
    ObjectNode view = d.view();
    if (view == null) {
      g.writeNull();
    } else {
      g.writeTree(view);
    }
    g.writeEndObject();
  }
}
