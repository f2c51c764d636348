package dev.outpost.core.sync;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.core.internal.ByteSink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One answer of the change feed ({@code GET /v1/sync/pull}), decoded: the changed documents'
 * whole merge states in feed order, documents the device no longer receives, the next cursor,
 * whether more is waiting, and the {@code resync} order. Both encodings the server answers with
 * are read here and written by {@link Writer} (binary) and the server (JSON); docs/protocol.md
 * describes them.
 *
 * <pre>
 * binary := "OPP1" flags:u8 (1 resync, 2 more) cursor:string reason:string count:varint change*
 * change := collection:varint (0 = a new name follows as a string; k = the k-th name of this page)
 *           [collection:string] id:string seq:varint (minus the previous change's; the first: minus 0)
 *           kind:u8 (0 state, 1 removed, 2 state and view) [state:varint length, then {@link SyncBinary} bytes]
 *           [view:string]     (kind 2: the view's JSON as the server stored it)
 * </pre>
 *
 * @param cursor the position to pull from next (opaque, for this device)
 * @param more whether more changes are waiting after this page
 * @param resync the device must pull its whole subscription again from {@code cursor}
 * @param reason why (resync only), for logs
 */
public record PullPage(List<Change> changes, String cursor, boolean more, boolean resync, String reason) {
  /** The {@code Accept} (and answer {@code Content-Type}) of the binary encoding. */
  public static final String BINARY = "application/vnd.outpost.pull+binary";
  private static final byte[] MAGIC = {'O', 'P', 'P', '1'};
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(SyncJson.MAX_DEPTH + 16)
          .maxStringLength(1 << 20).maxNumberLength(64).build())
      .build());

  public PullPage {
    changes = List.copyOf(changes);
  }

  /**
   * One document's change: its whole merge state (a tombstone when deleted), or {@code removed}
   * (the device no longer receives it: drop the local copy, keep unsent local ops). From a binary
   * page the state stays bytes until {@link #state()} is asked for, and the view comes as the
   * server stored it: a replica that has no copy yet stores both as they are, decoding nothing.
   */
  public static final class Change {
    private final String collection;
    private final String id;
    private final long seq;
    private final boolean removed;
    private final byte[] stateBytes;
    private final String viewJson;
    private Document state;

    /** A change with its decoded state (null when {@code removed}). */
    public Change(String collection, String id, long seq, Document state, boolean removed) {
      this(collection, id, seq, removed, state, null, null);
    }

    private Change(String collection, String id, long seq, boolean removed, Document state, byte[] stateBytes,
        String viewJson) {
      this.collection = collection;
      this.id = id;
      this.seq = seq;
      this.removed = removed;
      this.state = state;
      this.stateBytes = stateBytes;
      this.viewJson = viewJson;
    }

    public String collection() {
      return collection;
    }

    public String id() {
      return id;
    }

    public long seq() {
      return seq;
    }

    public boolean removed() {
      return removed;
    }

    /** The merge state, decoded on first use (null when removed); malformed bytes: {@link IllegalArgumentException}. */
    public synchronized Document state() {
      if (state == null && stateBytes != null) {
        state = SyncBinary.decode(collection, id, stateBytes);
      }
      return state;
    }

    /** The state in the binary form as it came, or null (a JSON page, or built in code). */
    public byte[] stateBytes() {
      return stateBytes;
    }

    /** The view as the server stored it (null: deleted, or not sent); checked JSON text. */
    public String viewJson() {
      return viewJson;
    }

    @Override
    public String toString() {
      return collection + "/" + id + "@" + seq + (removed ? " removed" : "");
    }
  }

  /** Writes a binary page from stored states as they are (never decoded on the way). */
  public static final class Writer {
    private final ByteSink out;
    private final Map<String, Integer> collections = new HashMap<>();
    private final int countAt;
    private final int expected;
    private int written;
    private long previousSeq;

    /** A page of exactly {@code count} changes. */
    public Writer(String cursor, boolean more, boolean resync, String reason, int count, int sizeHint) {
      out = new ByteSink(64 + sizeHint);
      out.bytes(MAGIC, 0, MAGIC.length);
      out.u8((resync ? 1 : 0) | (more ? 2 : 0));
      out.string(cursor);
      out.string(reason == null ? "" : reason);
      countAt = out.size();
      out.varint(count);
      expected = count;
    }

    /** A changed document with its stored binary state. */
    public Writer state(String collection, String id, long seq, byte[] state) {
      return state(collection, id, seq, state, null);
    }

    /** A changed document with its stored binary state and its stored view (null: deleted). */
    public Writer state(String collection, String id, long seq, byte[] state, String viewJson) {
      head(collection, id, seq);
      out.u8(viewJson == null ? 0 : 2);
      out.varint(state.length);
      out.bytes(state, 0, state.length);
      if (viewJson != null) {
        out.string(viewJson);
      }
      return this;
    }

    /** A document the device no longer receives. */
    public Writer removed(String collection, String id, long seq) {
      head(collection, id, seq);
      out.u8(1);
      return this;
    }

    private void head(String collection, String id, long seq) {
      if (written++ >= expected) {
        throw new IllegalStateException("more changes than the page's count " + expected);
      }
      if (seq < previousSeq) {
        throw new IllegalStateException("changes out of feed order: " + seq + " after " + previousSeq);
      }
      Integer ref = collections.get(collection);
      if (ref == null) {
        out.varint(0);
        out.string(collection);
        collections.put(collection, collections.size() + 1);
      } else {
        out.varint(ref);
      }
      out.string(id);
      out.varint(seq - previousSeq);
      previousSeq = seq;
    }

    public byte[] finish() {
      if (written != expected) {
        throw new IllegalStateException("the page's count is " + expected + " but " + written + " changes were written"
            + " (at byte " + countAt + ")");
      }
      return out.toByteArray();
    }
  }

  /** Reads a binary page; malformed: {@link IllegalArgumentException} naming what. */
  public static PullPage decodeBinary(byte[] body) {
    SyncBinary.In in = new SyncBinary.In(body, 0, body.length);
    for (byte b : MAGIC) {
      if (in.u8("magic") != (b & 0xFF)) {
        throw new IllegalArgumentException("a binary pull page must start with 'OPP1'");
      }
    }
    int flags = in.u8("flags");
    if ((flags & ~3) != 0) {
      throw new IllegalArgumentException("pull page: unknown flags " + flags);
    }
    String cursor = in.string("cursor");
    String reason = in.string("reason");
    int count = in.count("changes", 4);
    List<Change> changes = new ArrayList<>(count);
    List<String> collections = new ArrayList<>();
    long seq = 0;
    for (int i = 0; i < count; i++) {
      long ref = in.varint("collection");
      String collection;
      if (ref == 0) {
        collection = in.string("collection");
        if (collection.isEmpty()) {
          throw new IllegalArgumentException("pull page: change " + i + " has an empty collection name");
        }
        collections.add(collection);
      } else if (ref <= collections.size()) {
        collection = collections.get((int) ref - 1);
      } else {
        throw new IllegalArgumentException("pull page: change " + i + " refers to unknown collection #" + ref);
      }
      String id = in.string("id");
      if (id.isEmpty()) {
        throw new IllegalArgumentException("pull page: change " + i + " has an empty id");
      }
      long delta = in.varint("seq");
      if (delta < 0 || seq + delta < seq) {
        throw new IllegalArgumentException("pull page: change " + i + " has a seq out of range");
      }
      seq += delta;
      int kind = in.u8("kind");
      if (kind == 0 || kind == 2) {
        int len = in.length("state");
        byte[] raw = java.util.Arrays.copyOfRange(body, in.pos, in.pos + len);
        in.pos += len;
        String view = kind == 2 ? in.string("view") : null;
        if (view != null && (view.isEmpty() || view.charAt(0) != '{')) {
          throw new IllegalArgumentException("pull page: change " + i + " has a view that is not a JSON object");
        }
        changes.add(new Change(collection, id, seq, false, null, raw, view));
      } else if (kind == 1) {
        changes.add(new Change(collection, id, seq, null, true));
      } else {
        throw new IllegalArgumentException("pull page: change " + i + " has unknown kind " + kind);
      }
    }
    if (in.pos != body.length) {
      throw new IllegalArgumentException("pull page: " + (body.length - in.pos) + " trailing bytes");
    }
    return new PullPage(changes, cursor, (flags & 2) != 0, (flags & 1) != 0, reason.isEmpty() ? null : reason);
  }

  /** Reads a JSON page (what the server answers without {@code Accept: }{@value #BINARY}). */
  public static PullPage decodeJson(byte[] body) {
    JsonNode o;
    try {
      o = JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalArgumentException("pull page: malformed JSON: " + e.getMessage(), e);
    }
    if (o == null || !o.isObject() || !o.path("cursor").isTextual() || !o.path("changes").isArray()) {
      throw new IllegalArgumentException("pull page: must be an object with \"changes\" and \"cursor\"");
    }
    List<Change> changes = new ArrayList<>();
    for (JsonNode c : o.get("changes")) {
      String collection = c.path("collection").asText("");
      String id = c.path("id").asText("");
      if (collection.isEmpty() || id.isEmpty() || !c.path("seq").canConvertToLong()) {
        throw new IllegalArgumentException("pull page: a change needs collection, id and seq");
      }
      if (c.path("removed").asBoolean(false)) {
        changes.add(new Change(collection, id, c.get("seq").asLong(), null, true));
      } else {
        Document d = SyncJson.decodeDocument(c.get("state"));
        if (!d.collection().equals(collection) || !d.id().equals(id)) {
          throw new IllegalArgumentException("pull page: the state of " + collection + "/" + id + " names another document");
        }
        changes.add(new Change(collection, id, c.get("seq").asLong(), d, false));
      }
    }
    return new PullPage(changes, o.get("cursor").asText(), o.path("more").asBoolean(false),
        o.path("resync").asBoolean(false), o.path("reason").isTextual() ? o.get("reason").asText() : null);
  }
}
