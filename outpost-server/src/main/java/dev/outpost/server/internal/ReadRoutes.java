package dev.outpost.server.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.core.wire.Protocol;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.DeviceInfo;
import dev.outpost.server.ServerConfig;
import dev.outpost.server.StoredRecord;
import io.helidon.common.uri.UriQuery;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The read and admin endpoints (admin token) and the device's health report (device token):
 *
 * <pre>
 * GET    /v1/messages?after=C&amp;limit=N[&amp;device=ID&amp;topic=T]   page through stored records
 * GET    /v1/devices                                    devices, counters, last health report
 * POST   /v1/devices  {"device":"ID"}                   add a device; answers its token once
 * DELETE /v1/devices/{id}                               revoke a device's token
 * PUT    /v1/health   (device token) JSON object        the device's connection-health report
 * </pre>
 *
 * Thread-safe.
 */
public final class ReadRoutes {
  static final int DEFAULT_LIMIT = 1000;
  static final int MAX_LIMIT = 10_000;
  static final int MAX_HEALTH_BYTES = 16 << 10;

  private final ServerConfig config;
  private final MessageStore store;
  private final DeviceStore deviceStore;
  private final DeviceRegistry devices;
  private final AdminAuth admin;

  public ReadRoutes(ServerConfig config, MessageStore store, DeviceStore deviceStore, DeviceRegistry devices, AdminAuth admin) {
    this.config = config;
    this.store = store;
    this.deviceStore = deviceStore;
    this.devices = devices;
    this.admin = admin;
  }

  public void register(HttpRouting.Builder routing) {
    routing
        .get("/v1/messages", this::messages)
        .get("/v1/devices", this::listDevices)
        .post("/v1/devices", this::addDevice)
        .delete("/v1/devices/{id}", this::revokeDevice)
        .put("/v1/devices/{id}/labels", this::setLabels)
        .put(Protocol.HEALTH_PATH, this::health);
  }

  private void messages(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    UriQuery q = req.query();
    long after = longParam(q, "after", 0, 0, Long.MAX_VALUE);
    int limit = (int) longParam(q, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    String device = q.contains("device") ? q.get("device") : null;
    String topic = q.contains("topic") ? q.get("topic") : null;
    List<StoredRecord> page = store.page(after, limit, device, topic);
    sendJson(res, 200, g -> {
      g.writeStartObject();
      g.writeArrayFieldStart("messages");
      for (StoredRecord r : page) {
        r.writeJson(g);
      }
      g.writeEndArray();
      g.writeNumberField("next", page.isEmpty() ? after : page.getLast().serverSeq());
      g.writeEndObject();
    });
  }

  private void listDevices(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    List<DeviceInfo> list = devices.list();
    sendJson(res, 200, g -> {
      g.writeStartObject();
      g.writeArrayFieldStart("devices");
      for (DeviceInfo d : list) {
        g.writeStartObject();
        g.writeStringField("device", d.deviceId());
        g.writeNumberField("createdAt", d.createdAt());
        g.writeBooleanField("revoked", d.revoked());
        g.writeNumberField("lastSeen", d.lastSeen());
        g.writeNumberField("stored", d.stored());
        g.writeNumberField("duplicates", d.duplicates());
        g.writeNumberField("rejected", d.rejected());
        g.writeFieldName("health");
        if (d.healthJson() == null) {
          g.writeNull();
        } else {
          g.writeRawValue(d.healthJson());
        }
        g.writeNumberField("healthAt", d.healthAt());
        g.writeObjectFieldStart("labels");
        for (Map.Entry<String, String> l : new java.util.TreeMap<>(d.labels()).entrySet()) {
          g.writeStringField(l.getKey(), l.getValue());
        }
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    });
  }

  private void addDevice(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    JsonNode body = jsonObject(HttpBodies.read(req, MAX_HEALTH_BYTES));
    JsonNode id = body.get("device");
    if (id == null || !id.isTextual()) {
      throw ApiException.badRequest("missing_field", "field 'device' is missing or not a string");
    }
    Map<String, String> labels = labels(body.get("labels"));
    String token;
    try {
      token = devices.add(id.asText(), labels);
    } catch (DeviceExistsException e) {
      throw new ApiException(409, "device_exists", e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad_device_id", e.getMessage());
    }
    sendJson(res, 201, g -> {
      g.writeStartObject();
      g.writeStringField("device", id.asText());
      g.writeStringField("token", token);
      g.writeEndObject();
    });
  }

  /** {@code PUT /v1/devices/{id}/labels} with a JSON object of strings: replaces the labels. */
  private void setLabels(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    String id = req.path().pathParameters().get("id");
    Map<String, String> labels = labels(jsonObject(HttpBodies.read(req, MAX_HEALTH_BYTES)));
    boolean found;
    try {
      found = devices.setLabels(id, labels);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad_label", e.getMessage());
    }
    if (!found) {
      throw new ApiException(404, "no_such_device", "no device '" + id + "'");
    }
    sendJson(res, 200, g -> {
      g.writeStartObject();
      g.writeStringField("device", id);
      g.writeObjectFieldStart("labels");
      for (Map.Entry<String, String> l : new java.util.TreeMap<>(labels).entrySet()) {
        g.writeStringField(l.getKey(), l.getValue());
      }
      g.writeEndObject();
      g.writeEndObject();
    });
  }

  private static Map<String, String> labels(JsonNode n) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    if (n == null || n.isNull()) {
      return out;
    }
    if (!n.isObject()) {
      throw new ApiException(400, "bad_label", "labels must be a JSON object of strings, e.g. {\"site\": \"berlin\"}");
    }
    n.fields().forEachRemaining(e -> {
      if (!e.getValue().isTextual()) {
        throw new ApiException(400, "bad_label", "label " + e.getKey() + " must be a string");
      }
      out.put(e.getKey(), e.getValue().asText());
    });
    try {
      DeviceRegistry.checkLabels(out);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad_label", e.getMessage());
    }
    return out;
  }

  private void revokeDevice(ServerRequest req, ServerResponse res) throws IOException {
    admin.check(req);
    String id = req.path().pathParameters().get("id");
    if (!devices.revoke(id)) {
      throw new ApiException(404, "no_such_device", "no active device '" + id + "'");
    }
    sendJson(res, 200, g -> {
      g.writeStartObject();
      g.writeStringField("device", id);
      g.writeBooleanField("revoked", true);
      g.writeEndObject();
    });
  }

  private void health(ServerRequest req, ServerResponse res) throws IOException {
    String token = Tokens.bearer(req.headers().first(HeaderNames.AUTHORIZATION).orElse(null));
    String device = token == null ? null : devices.authenticate(token).orElse(null);
    if (device == null) {
      throw ApiException.unauthorized(token == null
          ? "missing 'Authorization: Bearer <device token>' header" : "unknown or revoked device token");
    }
    byte[] raw = HttpBodies.read(req, MAX_HEALTH_BYTES);
    jsonObject(raw);
    deviceStore.putHealth(device, new String(raw, StandardCharsets.UTF_8), config.clock().millis());
    sendJson(res, 200, g -> {
      g.writeStartObject();
      g.writeStringField("device", device);
      g.writeNumberField("serverTime", config.clock().millis());
      g.writeEndObject();
    });
  }

  private static JsonNode jsonObject(byte[] raw) {
    JsonNode n;
    try {
      n = WireCodec.mapper().readTree(raw);
    } catch (IOException e) {
      throw ApiException.badRequest("malformed_json", "body is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (n == null || !n.isObject()) {
      throw ApiException.badRequest("malformed_json", "body must be a JSON object");
    }
    return n;
  }

  private static long longParam(UriQuery q, String name, long dflt, long min, long max) {
    if (!q.contains(name)) {
      return dflt;
    }
    String v = q.get(name);
    try {
      long n = Long.parseLong(v.trim());
      if (n < min || n > max) {
        throw ApiException.badRequest("bad_parameter",
            "parameter '" + name + "' must be " + min + ".." + max + ", was " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("bad_parameter", "parameter '" + name + "' is not an integer: '" + v + "'");
    }
  }

  @FunctionalInterface
  interface JsonWriter {
    void write(JsonGenerator g) throws IOException;
  }

  static void sendJson(ServerResponse res, int status, JsonWriter writer) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try (JsonGenerator g = WireCodec.mapper().getFactory().createGenerator(out)) {
      writer.write(g);
    }
    res.status(status);
    res.header(HeaderNames.CONTENT_TYPE, WireCodec.JSON);
    res.send(out.toByteArray());
  }

  static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
