package dev.outpost.server.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.outpost.core.sync.PullPage;
import dev.outpost.core.sync.SyncJson;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.SyncCollections;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code GET /v1/sync/pull?cursor=…&limit=…&wait=…} (device token): the changes after the cursor
 * in the collections the device subscribes to, in feed order, each with the document's whole merge
 * state (the device merges it) and its view, or a tombstone, or an explicit {@code removed} for a
 * document the device no longer receives (its subscription rule no longer matches). A page never
 * ends inside a transaction. The answer's cursor is opaque and signed for this device: a forged,
 * truncated or another device's cursor is {@code 400}. With {@code wait} (seconds, at most 30) an
 * empty answer waits for the next change, so an online device sees a change well within a second.
 * A cursor older than the feed's compaction gets {@code "resync": true} and a cursor from the
 * start: the device pulls its whole subscription again (never a silent gap, never a resurrection).
 */
public final class PullRoutes {
  static final String PATH = "/v1/sync/pull";
  private static final int DEFAULT_LIMIT = 1000;
  private static final int MAX_LIMIT = 10_000;
  private static final long MAX_WAIT_SECONDS = 30;

  private final java.util.function.Supplier<SyncCollections> live;
  private final DocStore docs;
  private final DeviceRegistry devices;
  private final byte[] cursorKey;

  public PullRoutes(java.util.function.Supplier<SyncCollections> collections, DocStore docs, DeviceRegistry devices, byte[] cursorKey) {
    this.live = collections;
    this.docs = docs;
    this.devices = devices;
    this.cursorKey = cursorKey.clone();
  }

  public void register(HttpRouting.Builder r) {
    r.get(PATH, this::pull);
  }

  private void pull(ServerRequest req, ServerResponse res) throws IOException {
    String device = authenticate(req);
    long[] position = req.query().contains("cursor") && !req.query().get("cursor").isEmpty()
        ? readCursor(device, req.query().get("cursor")) : new long[] {0, 0, 0};
    long after = position[0];
    Map<String, String> labels = devices.labels(device);
    SyncCollections collections = live.get(); // one snapshot for the whole answer
    String subscription = fingerprint(collections, labels);
    int limit = (int) number(req, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    long waitSeconds = number(req, "wait", 0, 0, MAX_WAIT_SECONDS);
    long head = docs.feedHead(); // before the page: every position up to it is committed and visible
    if (after > head) {
      throw ApiException.badRequest("bad_cursor", "the cursor is ahead of this server's feed: it is not from this server");
    }
    long horizon = docs.compactedHead();
    boolean compactedPast = after > 0 && after < horizon && position[1] < horizon;
    boolean subscriptionChanged = after > 0 && !subscription.equals(position[2] == 0 ? "" : Long.toHexString(position[2]));
    if (compactedPast || subscriptionChanged) {
      // deletions the device has not seen were compacted away since its cursor was handed out, or
      // its labels or the rules changed what it receives: never answer with a silent gap
      String fromStart = writeCursor(device, 0, horizon, subscription);
      String reason = (compactedPast ? "the cursor is older than the feed's compaction (tombstone retention)"
          : "the device's subscription changed (its labels or the sync config)") + ": pull the whole subscription"
          + " again from this cursor, keep local unsent writes, drop documents it does not list";
      send(req, res, collections, List.of(), labels, fromStart, true, true, reason);
      return;
    }
    Set<String> subscribed = new TreeSet<>(collections.all().keySet());
    List<DocStore.StoredDoc> page = docs.feed(after, limit, subscribed);
    if (page.isEmpty() && waitSeconds > 0) {
      head = docs.awaitPast(after, waitSeconds * 1000);
      page = docs.feed(after, limit, subscribed);
    }
    boolean more = page.size() >= limit;
    long next = after;
    for (DocStore.StoredDoc d : page) {
      next = Math.max(next, d.txEnd());
    }
    if (!more) {
      // the rest up to the head was superseded, compacted or in other collections: skip past it
      next = Math.max(next, head);
    }
    send(req, res, collections, page, labels, writeCursor(device, next, horizon, subscription), more, false, null);
  }

  /**
   * The page in binary ({@code Accept: }{@value PullPage#BINARY}: stored states as they are) or
   * JSON (states decoded and written out, with each document's view), zstd-compressed when the
   * client accepts it ({@code Accept-Encoding: zstd}).
   */
  private void send(ServerRequest req, ServerResponse res, SyncCollections collections, List<DocStore.StoredDoc> page,
      Map<String, String> labels,
      String cursor, boolean more, boolean resync, String reason) throws IOException {
    boolean binary = req.headers().first(HeaderNames.ACCEPT).map(a -> a.contains(PullPage.BINARY)).orElse(false);
    boolean zstd = req.headers().first(HeaderNames.ACCEPT_ENCODING).map(PullRoutes::acceptsZstd).orElse(false);
    byte[] body;
    if (binary) {
      int size = 0;
      for (DocStore.StoredDoc d : page) {
        size += d.stateBytes().length + d.id().length() + 8;
      }
      PullPage.Writer w = new PullPage.Writer(cursor, more, resync, reason, page.size(), size);
      for (DocStore.StoredDoc d : page) {
        if (visible(collections, d, labels)) {
          w.state(d.collection(), d.id(), d.seq(), d.stateBytes(), d.viewJson());
        } else {
          w.removed(d.collection(), d.id(), d.seq());
        }
      }
      body = w.finish();
    } else {
      ByteArrayOutputStream out = new ByteArrayOutputStream(1024 + 600 * page.size());
      try (JsonGenerator g = WireCodec.mapper().getFactory().createGenerator(out)) {
        g.writeStartObject();
        if (resync) {
          g.writeBooleanField("resync", true);
          g.writeStringField("reason", reason);
        }
        g.writeArrayFieldStart("changes");
        for (DocStore.StoredDoc d : page) {
          g.writeStartObject();
          g.writeStringField("collection", d.collection());
          g.writeStringField("id", d.id());
          g.writeNumberField("seq", d.seq());
          if (!visible(collections, d, labels)) {
            g.writeBooleanField("removed", true);
          } else {
            g.writeFieldName("state");
            g.writeTree(SyncJson.encode(d.state()));
            g.writeFieldName("doc");
            if (d.viewJson() == null) {
              g.writeNull();
            } else {
              g.writeRawValue(d.viewJson()); // stored JSON goes out as it is
            }
          }
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeStringField("cursor", cursor);
        g.writeBooleanField("more", more);
        g.writeEndObject();
      }
      body = out.toByteArray();
    }
    res.status(200);
    res.header(HeaderNames.CONTENT_TYPE, binary ? PullPage.BINARY : WireCodec.JSON);
    res.header(HeaderNames.VARY, "Accept, Accept-Encoding");
    if (zstd) {
      res.header(HeaderNames.CONTENT_ENCODING, ContentEncoding.ZSTD.headerValue());
      body = ContentEncoding.ZSTD.encode(body);
    }
    res.send(body);
  }

  /**
   * Whether the device may read this change's state: a live document it receives, or a tombstone
   * in a collection every device receives. A tombstone in a collection with a {@code where} rule
   * still holds the erased fields, which a device outside the rule must not read: it gets a
   * removal instead (which, for a device that had the document, is what a delete means).
   */
  private static boolean visible(SyncCollections collections, DocStore.StoredDoc d, Map<String, String> labels) {
    return d.viewJson() != null ? receives(collections, d, labels) : all(collections, d.collection());
  }

  /** "zstd" among the codings, not refused with q=0. */
  static boolean acceptsZstd(String header) {
    for (String part : header.split(",")) {
      String[] p = part.trim().split(";");
      if (p[0].trim().equalsIgnoreCase("zstd")) {
        for (int i = 1; i < p.length; i++) {
          String q = p[i].trim().replace(" ", "");
          if (q.equals("q=0") || q.equals("q=0.0") || q.equals("q=0.00") || q.equals("q=0.000")) {
            return false;
          }
        }
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the device receives this document: its collection's rule is {@code all}, or every
   * {@code where} field equals the value, a {@code $device.<label>} reference standing for the
   * device's label of that name (a device without the label receives none).
   */
  private static boolean receives(SyncCollections collections, DocStore.StoredDoc d, Map<String, String> labels) {
    SyncCollections.Subscription s = collections.get(d.collection()).map(SyncCollections.Collection::subscribe)
        .orElse(SyncCollections.Subscription.ALL);
    if (s.all()) {
      return true;
    }
    ObjectNode view = d.view();
    for (Map.Entry<String, String> w : s.where().entrySet()) {
      String want = SyncCollections.Subscription.resolve(w.getValue(), labels);
      JsonNode v = view.get(w.getKey());
      if (want == null || v == null || !v.isValueNode() || !v.asText().equals(want)) {
        return false;
      }
    }
    return true;
  }

  private static boolean all(SyncCollections collections, String collection) {
    return collections.get(collection).map(c -> c.subscribe().all()).orElse(true);
  }

  /**
   * What the device receives, as a number: the collections and their rules with its labels filled
   * in. A cursor carries it; when it changes, the device resyncs (documents it no longer receives
   * are dropped, those it now receives arrive).
   */
  private static String fingerprint(SyncCollections collections, Map<String, String> labels) {
    StringBuilder b = new StringBuilder();
    new TreeSet<>(collections.all().keySet()).forEach(name -> {
      b.append(name).append('{');
      new java.util.TreeMap<>(collections.get(name).orElseThrow().subscribe().where()).forEach((f, v) -> b.append(f)
          .append('=').append(SyncCollections.Subscription.label(v).map(l -> "$" + labels.get(l)).orElse(v)).append(';'));
      b.append('}');
    });
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8));
      long v = 0;
      for (int i = 0; i < 7; i++) {
        v = (v << 8) | (h[i] & 0xff);
      }
      return Long.toHexString(v | 1); // never 0: 0 means "no fingerprint"
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  private String authenticate(ServerRequest req) {
    String header = req.headers().first(io.helidon.http.HeaderNames.AUTHORIZATION).orElse(null);
    String token = header != null && header.startsWith("Bearer ") ? header.substring(7).trim() : null;
    if (token == null) {
      throw ApiException.unauthorized("missing 'Authorization: Bearer <device token>' header");
    }
    return devices.authenticate(token).orElseThrow(() -> ApiException.unauthorized("unknown or revoked device token"));
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
    throw ApiException.badRequest("bad_" + name, name + " must be a whole number " + min + ".." + max + ", was '" + v + "'");
  }

  /**
   * "1.<seq>.<horizon>.<subscription>.<mac>", base64url: the position, the compaction horizon when
   * it was handed out (a later compaction past the position means a resync), what the device
   * received then (a change means a resync), signed for this device.
   */
  String writeCursor(String device, long seq, long horizon, String subscription) {
    String body = "1." + seq + "." + horizon + "." + subscription;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(
        (body + "." + mac(device, body)).getBytes(StandardCharsets.US_ASCII));
  }

  /** {position, horizon, subscription} of a cursor this server handed to this device; 400 for any other. */
  long[] readCursor(String device, String cursor) {
    String text;
    try {
      text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("bad_cursor", "the cursor is not one this server handed out (not base64url)");
    }
    int last = text.lastIndexOf('.');
    if (!text.startsWith("1.") || last <= 2) {
      throw ApiException.badRequest("bad_cursor", "the cursor is not one this server handed out (malformed)");
    }
    String body = text.substring(0, last);
    byte[] given = text.substring(last + 1).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(given, mac(device, body).getBytes(StandardCharsets.US_ASCII))) {
      throw ApiException.badRequest("bad_cursor", "the cursor was not handed out to this device");
    }
    String[] parts = body.split("\\.");
    try {
      if (parts.length != 4) {
        throw new NumberFormatException("parts");
      }
      return new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2]), Long.parseUnsignedLong(parts[3], 16)};
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("bad_cursor", "the cursor is not one this server handed out (malformed)");
    }
  }

  private String mac(String device, String body) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(cursorKey, "HmacSHA256"));
      m.update(device.getBytes(StandardCharsets.UTF_8));
      m.update((byte) 0);
      return HexFormat.of().formatHex(m.doFinal(body.getBytes(StandardCharsets.US_ASCII)), 0, 16);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
    }
  }
}
