package dev.outpost.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.core.Message;
import dev.outpost.core.sync.ClockSkewException;
import dev.outpost.core.sync.CollectionRules;
import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.HlcClock;
import dev.outpost.core.sync.Op;
import dev.outpost.core.sync.ServerMerge;
import dev.outpost.core.sync.SyncJson;
import dev.outpost.server.SyncCollections;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Devices' writes to replicated documents, which arrive as records of topic {@code $sync}
 * through the uplink (one upload path, one exactly-once story). {@link #check} runs at ingest,
 * before the store: a record whose op cannot be applied is rejected with the rule it breaks, and
 * so lands in the device's dead letters. {@link #merge} runs inside the store's transaction, for
 * the records stored now (a duplicate is never merged twice). Thread-safe.
 */
public final class SyncMerger {
  private static final Logger LOG = LoggerFactory.getLogger(SyncMerger.class);

  /** A record's op, or why it is refused. */
  public record Checked(Op op, String problem) {}

  private final java.util.function.Supplier<SyncCollections> live;
  private final HlcClock clock;
  private final DocStore docs;
  private final DeviceRegistry devices;
  private final AtomicLong refusedAtMerge = new AtomicLong();

  /**
   * @param docs where a document-level check reads the current document
   * @param devices where it reads the device's labels
   */
  public SyncMerger(java.util.function.Supplier<SyncCollections> collections, HlcClock clock, DocStore docs, DeviceRegistry devices) {
    this.live = collections;
    this.clock = clock;
    this.docs = docs;
    this.devices = devices;
  }

  /** The server's clock: every write the server stamps, and every device time it receives. */
  public HlcClock clock() {
    return clock;
  }

  /** The collections served now. */
  public SyncCollections collections() {
    return live.get();
  }

  /** Ops that passed {@link #check} but could not be applied in the transaction (see {@link #merge}). */
  public long refusedAtMerge() {
    return refusedAtMerge.get();
  }

  /**
   * The checks of one batch of {@code device}: its labels are read at most once for the batch,
   * when a record needs them (a collection with a {@code where} subscription).
   */
  public BatchChecks batch(String device) {
    return new BatchChecks(device);
  }

  /** Checks the {@code $sync} records of one batch. Not thread-safe: one request's. */
  public final class BatchChecks {
    private final String device;
    private Map<String, String> labels;

    private BatchChecks(String device) {
      this.device = device;
    }

    public Checked check(Message m) {
      return SyncMerger.this.check(device, m, this::labels);
    }

    private Map<String, String> labels() {
      if (labels == null) {
        labels = devices.labels(device);
      }
      return labels;
    }
  }

  /** Decodes and checks a {@code $sync} record of {@code device}. */
  private Checked check(String device, Message m, java.util.function.Supplier<Map<String, String>> labels) {
    Op op;
    try {
      op = SyncJson.decodeOp(m.payload());
    } catch (IllegalArgumentException e) {
      return new Checked(null, "not a sync op: " + e.getMessage());
    }
    SyncCollections.Collection c = live.get().get(op.collection()).orElse(null);
    if (c == null) {
      return new Checked(null, "no collection '" + op.collection() + "' in the server's sync config");
    }
    if (c.rules().devices() != CollectionRules.Access.READ_WRITE) {
      return new Checked(null, "collection '" + op.collection() + "' is read-only for devices (devices: read in the sync config)");
    }
    String node = op.hlc().node();
    if (!node.equals(device) && !node.startsWith(device + ".")) {
      return new Checked(null, "op stamped by node '" + node + "', not by this device ('" + device + "' or '"
          + device + ".<store>')");
    }
    if (!DocRoutes.ID.matcher(op.id()).matches()) {
      return new Checked(null, "document id '" + op.id() + "' must be 1 to 256 of A-Z a-z 0-9 _ . : @ -");
    }
    try {
      c.rules().check(op);
      clock.check(op.hlc());
    } catch (ClockSkewException e) {
      return new Checked(null, e.getMessage());
    } catch (IllegalArgumentException e) {
      return new Checked(null, e.getMessage());
    }
    String notMine = documentProblem(device, labels, op, c.subscribe());
    return notMine == null ? new Checked(op, null) : new Checked(null, notMine);
  }

  /**
   * A device writes only documents it receives: with a {@code where} subscription, an existing
   * document must match it, and a new one must be created (by a patch) with the fields it names
   * set to the device's values. Read outside the ingest transaction: a concurrent change of the
   * document's fields by someone else is not seen here.
   */
  private String documentProblem(String device, java.util.function.Supplier<Map<String, String>> deviceLabels, Op op,
      SyncCollections.Subscription subscription) {
    if (subscription.all()) {
      return null;
    }
    Map<String, String> labels = deviceLabels.get();
    Map<String, String> want = new LinkedHashMap<>();
    for (Map.Entry<String, String> w : subscription.where().entrySet()) {
      String v = SyncCollections.Subscription.resolve(w.getValue(), labels);
      if (v == null) {
        return "device " + device + " has no label " + w.getValue().substring("$device.".length()) + ", so it receives"
            + " no document of " + op.collection() + " and may write none";
      }
      want.put(w.getKey(), v);
    }
    JsonNode view = docs.get(op.collection(), op.id()).map(DocStore.StoredDoc::view).orElse(null);
    for (Map.Entry<String, String> w : want.entrySet()) {
      JsonNode have = view != null ? view.get(w.getKey())
          : op instanceof Op.Patch p ? p.fields().get(w.getKey()) : null;
      if (have == null || !have.isValueNode() || !have.asText().equals(w.getValue())) {
        return "device " + device + " does not receive " + op.collection() + "/" + op.id() + " (its subscription needs "
            + w.getKey() + "=" + w.getValue() + (view == null ? "; a new document must set it" : "") + ")";
      }
    }
    return null;
  }

  /** What a merge changed: the documents to write, and the conflicts it raised. */
  public record Merged(List<Document> changed, List<ServerMerge.Conflict> conflicts) {}

  /**
   * Merges ops (already checked) into the documents given, by their collections' rules. An op
   * that still cannot be applied (its document would pass the size limit after a concurrent write,
   * or its time is now too far ahead) is not applied; the register fields it wrote are written
   * again with the current values, stamped after it, so the device's copy comes back to the
   * server's at its next pull. It is counted and logged.
   */
  public Merged merge(Map<String, Document> docs, List<Op> ops) {
    Map<String, Document> changed = new LinkedHashMap<>();
    List<ServerMerge.Conflict> conflicts = new ArrayList<>();
    SyncCollections collections = live.get();
    for (Op op : ops) {
      String key = op.collection() + "/" + op.id();
      Document doc = docs.get(key);
      SyncCollections.Collection collection = collections.get(op.collection()).orElse(null);
      if (collection == null) { // the admin API removed it since the op was checked
        refusedAtMerge.incrementAndGet();
        LOG.warn("sync op {} on {} not applied: its collection is no longer in the sync config", op.hlc(), key);
        continue;
      }
      CollectionRules rules = collection.rules();
      try {
        conflicts.addAll(ServerMerge.apply(doc, op, rules, clock).conflicts());
      } catch (IllegalArgumentException e) {
        refusedAtMerge.incrementAndGet();
        LOG.warn("sync op {} on {} not applied: {}", op.hlc(), key, e.getMessage());
        if (op instanceof Op.Patch p) {
          Map<String, JsonNode> again = new HashMap<>();
          p.fields().keySet().forEach(f -> again.put(f, doc.register(f)));
          try {
            clock.receive(op.hlc());
          } catch (ClockSkewException skew) {
            // the write again is stamped now; a device that far ahead is corrected when its clock is
          }
          doc.apply(doc.patch(clock.now(), again));
        } else {
          continue;
        }
      }
      changed.put(key, doc);
    }
    return new Merged(new ArrayList<>(changed.values()), conflicts);
  }
}
