package dev.outpost.edge.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.outpost.core.sync.ClockSkewException;
import dev.outpost.core.sync.CollectionRules;
import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.Hlc;
import dev.outpost.core.sync.HlcClock;
import dev.outpost.core.sync.MergePatch;
import dev.outpost.core.sync.Op;
import dev.outpost.core.sync.PullPage;
import dev.outpost.core.sync.SyncBinary;
import dev.outpost.core.sync.SyncJson;
import dev.outpost.core.wire.Protocol;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxStorageException;
import dev.outpost.edge.Replica;
import dev.outpost.edge.ReplicaConfig;
import dev.outpost.edge.ReplicaRefusedException;
import java.io.IOException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Replica} on the outbox's SQLite file. Every write runs on the outbox's writer inside its
 * group transaction ({@link Op.Derived}): the document is read there, the ops are made from that
 * state (a patch's base, a counter's running totals), applied, written, and appended as
 * {@code $sync} records, all under one savepoint; a refusal (the collection's rules, the outbox
 * full) rolls back only that write. Pulled pages are work in the same transactions. Reads use a
 * read-only connection of their own. What survives a crash: exactly the committed transactions,
 * each a document change with its op, or a page with its cursor.
 */
public final class SqliteReplica implements Replica {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteReplica.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The header each op record carries: its collection. */
  static final String COLLECTION_HEADER = "collection";

  private final SqliteOutbox outbox;
  private final ReplicaConfig config;
  private final String node;
  private final HlcClock clock;
  private final Connection read;
  private final ExecutorService notifier;
  private final List<Observer> observers = new CopyOnWriteArrayList<>();
  /** The last local change number handed out; used on the writer thread only (gaps are fine). */
  private final AtomicLong change;
  private final AtomicLong skewedWrites = new AtomicLong();
  private volatile String cursor;
  private volatile long lastPullMillis;
  private volatile long generation;

  private record Observer(String collection, Consumer<Change> listener) {}

  private SqliteReplica(SqliteOutbox outbox, ReplicaConfig config, String node, long lastChange, Connection read,
      Map<String, String> meta) {
    this.outbox = outbox;
    this.config = config;
    this.node = node;
    this.clock = new HlcClock(node, config.clock(), config.maxSkew());
    this.read = read;
    this.change = new AtomicLong(lastChange);
    this.cursor = meta.get("cursor");
    this.lastPullMillis = Long.parseLong(meta.getOrDefault("last_pull", "0"));
    this.generation = Long.parseLong(meta.getOrDefault("gen", "0"));
    String high = meta.get("hlc_high");
    if (high != null) {
      // never stamp below what this store stamped before a restart, even if the wall clock stepped back
      clock.resumeAfter(Hlc.parse(high));
    }
    this.notifier = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("outpost-replica-notify").daemon(true)
        .factory());
  }

  public static Replica open(Outbox outbox, ReplicaConfig config) {
    if (!(outbox instanceof SqliteOutbox sqlite)) {
      throw new IllegalArgumentException("a replica opens beside an outbox from Outbox.open, not a " + outbox.getClass());
    }
    String device = config.device();
    Map<String, String> meta = sqlite.replicaWork(txn -> {
      Map<String, String> m = readMeta(txn.connection);
      if (!m.containsKey("node")) {
        // a new suffix for every new store file: a wiped device never reuses its counters' totals
        byte[] b = new byte[4];
        new SecureRandom().nextBytes(b);
        String n = device + "." + HexFormat.of().formatHex(b);
        Hlc.parse("0.0@" + n); // checks the node id's characters
        putMeta(txn, "node", n);
        m.put("node", n);
      }
      return m;
    });
    String node = meta.get("node");
    if (!node.startsWith(device + ".")) {
      throw new IllegalArgumentException("this store's replica belongs to device '" + node.substring(0, node.lastIndexOf('.'))
          + "', not '" + device + "': open it with that device id, or use a new store directory");
    }
    Connection read = null;
    try {
      read = StoreFile.connect(sqlite.dbFile());
      try (Statement s = read.createStatement()) {
        s.execute("PRAGMA query_only = 1");
      }
      long last;
      // the highest number handed out, also where that document has since left: a number is
      // never handed out twice, or a poller past it would miss the change that reused it
      try (Statement s = read.createStatement(); ResultSet rs = s.executeQuery("SELECT max((SELECT coalesce(max(change), 0)"
          + " FROM replica_docs), (SELECT coalesce(max(change), 0) FROM replica_removed))")) {
        rs.next();
        last = Math.max(rs.getLong(1), Long.parseLong(meta.getOrDefault("removed_floor", "0")));
      }
      return new SqliteReplica(sqlite, config, node, last, read, meta);
    } catch (SQLException e) {
      StoreFile.closeQuietly(read);
      throw new OutboxStorageException("cannot open the replica in " + sqlite.dbFile() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String node() {
    return node;
  }

  @Override
  public Documents collection(String name) {
    ReplicaConfig.Collection c = config.collections().get(name);
    if (c == null) {
      throw new ReplicaRefusedException(ReplicaRefusedException.Reason.UNKNOWN_COLLECTION, "no collection '" + name
          + "' in this replica's config (it has " + new java.util.TreeSet<>(config.collections().keySet()) + ")");
    }
    return new Coll(c);
  }

  @Override
  public Optional<String> cursor() {
    return Optional.ofNullable(cursor).filter(c -> !c.isEmpty()); // "": pull from the start (a resync)
  }

  @Override
  public long lastPullMillis() {
    return lastPullMillis;
  }

  /** Writes whose document held times more than the skew ahead of this device's clock (its clock is behind). */
  @Override
  public long skewedWrites() {
    return skewedWrites.get();
  }

  @Override
  public AutoCloseable observe(String collection, Consumer<Change> listener) {
    Observer o = new Observer(collection, listener);
    observers.add(o);
    return () -> observers.remove(o);
  }

  // ---- writes --------------------------------------------------------------------------------------

  private final class Coll implements Documents {
    private final ReplicaConfig.Collection c;
    private final CollectionRules rules;

    Coll(ReplicaConfig.Collection c) {
      this.c = c;
      this.rules = c.rules();
    }

    @Override
    public String name() {
      return rules.name();
    }

    @Override
    public Optional<ObjectNode> get(String id) {
      return readView(rules.name(), id);
    }

    @Override
    public Page query(Map<String, JsonNode> where, String afterId, int limit) {
      return SqliteReplica.this.query(rules.name(), where, afterId, limit);
    }

    @Override
    public ObjectNode put(String id, ObjectNode fields) {
      return write(c, id, doc -> List.of(MergePatch.replace(doc, fields, rules, clock)));
    }

    @Override
    public ObjectNode patch(String id, ObjectNode patch) {
      return write(c, id, doc -> MergePatch.patch(doc, patch, rules, clock));
    }

    @Override
    public boolean delete(String id) {
      return written(c, id, doc -> doc.exists() ? List.of(doc.delete(clock.now())) : List.of()) != null;
    }

    @Override
    public ObjectNode increment(String id, String field, long delta) {
      return write(c, id, doc -> List.of(doc.increment(clock.now(), field, delta)));
    }

    @Override
    public ObjectNode add(String id, String field, List<JsonNode> elements) {
      return write(c, id, doc -> List.of(doc.changeSet(clock.now(), field, elements, List.of())));
    }

    @Override
    public ObjectNode remove(String id, String field, List<JsonNode> elements) {
      return write(c, id, doc -> List.of(doc.changeSet(clock.now(), field, List.of(), elements)));
    }
  }

  /** What one committed local write leaves: the new view and the change to tell observers. */
  private record Written(ObjectNode view, Change change) {}

  /**
   * Reads the document in the writer's transaction, makes the ops from it, checks and applies them,
   * writes the document and appends the ops, all or nothing; waits for the commit. A refusal is an
   * {@link IllegalArgumentException} naming the rule; nothing is written.
   */
  private ObjectNode write(ReplicaConfig.Collection c, String id, Function<Document, List<Op>> makeOps) {
    Written w = written(c, id, makeOps);
    return w == null ? null : w.view();
  }

  /** The committed write, or null when there was nothing to write (a delete of an absent document). */
  private Written written(ReplicaConfig.Collection c, String id, Function<Document, List<Op>> makeOps) {
    CollectionRules rules = c.rules();
    if (rules.devices() != CollectionRules.Access.READ_WRITE) {
      throw new ReplicaRefusedException(ReplicaRefusedException.Reason.READ_ONLY, "collection '" + rules.name()
          + "' is read-only for devices (devices: read in the server's sync config): this write would be refused,"
          + " so it is not queued");
    }
    checkId(id);
    Written w;
    try {
      w = outbox.derive(txn -> {
        Document doc = readState(txn, rules.name(), id).orElseGet(() -> new Document(rules.name(), id));
        // this write must be stamped after every write the document holds (pulled ones too): LWW
        // then means "the write made knowing the other"
        for (Hlc h : doc.seen().values()) {
          try {
            clock.receive(h);
          } catch (ClockSkewException e) {
            skewedWrites.incrementAndGet(); // this device's clock is far behind what its copy holds
            clock.receiveChecked(h); // the server checked these times: stamp after them all the same
          }
        }
        List<Op> ops = makeOps.apply(doc);
        List<NewRecord> records = new ArrayList<>(ops.size());
        for (Op op : ops) {
          rules.check(op);
          doc.apply(op);
          // the collection rides along as a header: the pending count per collection groups by it
          records.add(new NewRecord(Protocol.SYNC_TOPIC, SyncJson.encode(op), c.priority(),
              Map.of(COLLECTION_HEADER, rules.name()), null));
        }
        if (ops.isEmpty()) {
          return new dev.outpost.edge.internal.Op.Derived.Made<>(List.of(), (Written) null);
        }
        rules.checkSize(id, doc);
        long number = change.incrementAndGet();
        keepServerState(txn, rules.name(), id);
        writeDoc(txn, doc, number);
        putMeta(txn, "hlc_high", clock.last().toString());
        ObjectNode view = doc.view();
        return new dev.outpost.edge.internal.Op.Derived.Made<>(records, new Written(view,
            new Change(rules.name(), id, view == null ? null : view.deepCopy(), true, number)));
      }).get();
    } catch (ExecutionException e) {
      throw unwrap(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OutboxStorageException("interrupted while waiting for a replica write to commit", e);
    }
    if (w == null) {
      return null;
    }
    notifyLater(List.of(w.change()));
    return w;
  }

  private static RuntimeException unwrap(Throwable t) {
    if (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof RuntimeException r) {
      return r;
    }
    return new OutboxStorageException("replica write failed: " + t, t);
  }

  private static void checkId(String id) {
    if (id == null || id.isEmpty() || id.length() > 256 || !id.matches("[A-Za-z0-9_.:@-]+")) {
      throw new IllegalArgumentException("document id '" + id + "' must be 1 to 256 of A-Z a-z 0-9 _ . : @ -");
    }
  }

  // ---- pulled pages --------------------------------------------------------------------------------

  @Override
  public int apply(PullPage page) {
    boolean observed = !observers.isEmpty();
    List<Change> changes = outbox.replicaWork(txn -> {
      long gen = generation;
      if (page.resync()) {
        gen++; // a snapshot starts: what it does not list is dropped at its end
        putMeta(txn, "gen", Long.toString(gen));
        putMeta(txn, "resyncing", "1");
      }
      List<Change> out = new ArrayList<>();
      java.util.Set<String> present = present(txn, page);
      PreparedStatement upsert = txn.prepare(UPSERT);
      PreparedStatement del = txn.prepare("DELETE FROM replica_docs WHERE collection = ? AND id = ?");
      int batched = 0;
      int removals = 0;
      for (PullPage.Change c : page.changes()) {
        if (!config.collections().containsKey(c.collection())) {
          continue; // a collection this replica does not keep
        }
        long number = change.incrementAndGet();
        if (c.removed()) {
          del.setString(1, c.collection());
          del.setString(2, c.id());
          if (del.executeUpdate() > 0) {
            removed(txn, c.collection(), c.id(), number);
            removals++;
            out.add(new Change(c.collection(), c.id(), null, false, number));
          }
          continue;
        }
        Optional<Document> existing = present.contains(c.collection() + "/" + c.id())
            ? readState(txn, c.collection(), c.id()) : Optional.empty();
        byte[] state;
        String view;
        boolean changed;
        if (existing.isEmpty() && c.stateBytes() != null && c.viewJson() != null) {
          // no local copy (an initial sync) and the server sent its stored bytes and view: store
          // them as they are, decoding nothing
          state = c.stateBytes();
          view = c.viewJson();
          changed = true;
        } else {
          Document doc = existing.orElseGet(() -> new Document(c.collection(), c.id()));
          String before = existing.isEmpty() ? null : doc.viewJson();
          doc.merge(c.state()); // local ops not yet acknowledged stay: merging only adds
          state = SyncBinary.encode(doc);
          view = doc.viewJson();
          changed = !java.util.Objects.equals(before, view);
        }
        // the server's state as pulled stays beside a local state that has local writes on top of it
        byte[] pulled = c.stateBytes() != null ? c.stateBytes() : existing.isEmpty() ? null : SyncBinary.encode(c.state());
        byte[] server = existing.isEmpty() || java.util.Arrays.equals(state, pulled) ? null : pulled;
        bind(upsert, c.collection(), c.id(), state, view, number, gen);
        upsert.setBytes(7, server);
        upsert.addBatch();
        if (++batched % 500 == 0) {
          upsert.executeBatch();
        }
        if (changed) {
          out.add(new Change(c.collection(), c.id(), observed && view != null ? parse(view) : null, false, number));
        }
      }
      if (batched % 500 != 0) {
        upsert.executeBatch();
      }
      out.addAll(reconcile(txn));
      if (!page.more() && "1".equals(readMeta(txn.connection).get("resyncing"))) {
        int dropped = dropStale(txn, gen, out);
        removals += dropped;
        putMeta(txn, "resyncing", "0");
        if (dropped > 0) {
          LOG.info("resync finished: {} documents no longer in the subscription dropped", dropped);
        }
      }
      if (removals > 0) {
        pruneRemovals(txn); // only after removals were recorded: it walks the kept ones
      }
      putMeta(txn, "cursor", page.cursor());
      putMeta(txn, "last_pull", Long.toString(config.clock().millis()));
      return out;
    });
    if (page.resync()) {
      generation++;
    }
    cursor = page.cursor();
    lastPullMillis = config.clock().millis();
    notifyLater(changes);
    return changes.size();
  }

  /** How many removals {@link #changesAfter} keeps; older ones are pruned (see {@link #changesCompleteAfter}). */
  public static final int KEPT_REMOVALS = 100_000;

  /** Records that a document left the replica at local change {@code number}, for the change feed. */
  private static void removed(Txn txn, String collection, String id, long number) throws SQLException {
    PreparedStatement s = txn.prepare("INSERT INTO replica_removed (collection, id, change) VALUES (?, ?, ?)"
        + " ON CONFLICT (collection, id) DO UPDATE SET change = excluded.change");
    s.setString(1, collection);
    s.setString(2, id);
    s.setLong(3, number);
    s.executeUpdate();
  }

  /**
   * The end of a resync: drops the documents the snapshot did not list, each as a removal with its
   * own change number. (One created here whose op is still in the outbox is not lost: the op goes
   * up, and the document comes back with the feed's next page.)
   */
  private int dropStale(Txn txn, long gen, List<Change> out) throws SQLException {
    PreparedStatement stale = txn.prepare("SELECT collection, id FROM replica_docs WHERE gen < ?");
    stale.setLong(1, gen);
    List<String[]> gone = new ArrayList<>();
    try (ResultSet rs = stale.executeQuery()) {
      while (rs.next()) {
        gone.add(new String[] {rs.getString(1), rs.getString(2)});
      }
    }
    for (String[] g : gone) {
      long number = change.incrementAndGet();
      removed(txn, g[0], g[1], number);
      out.add(new Change(g[0], g[1], null, false, number));
    }
    PreparedStatement drop = txn.prepare("DELETE FROM replica_docs WHERE gen < ?");
    drop.setLong(1, gen);
    return drop.executeUpdate();
  }

  /** Keeps the newest {@link #KEPT_REMOVALS} removals; the highest pruned number becomes the floor. */
  private static void pruneRemovals(Txn txn) throws SQLException {
    PreparedStatement cut = txn.prepare("SELECT change FROM replica_removed ORDER BY change DESC LIMIT 1 OFFSET ?");
    cut.setInt(1, KEPT_REMOVALS);
    long floor;
    try (ResultSet rs = cut.executeQuery()) {
      if (!rs.next()) {
        return;
      }
      floor = rs.getLong(1);
    }
    PreparedStatement prune = txn.prepare("DELETE FROM replica_removed WHERE change <= ?");
    prune.setLong(1, floor);
    prune.executeUpdate();
    putMeta(txn, "removed_floor", Long.toString(floor));
  }

  /**
   * Which of the page's documents this replica holds, as "collection/id": one query per 500 ids
   * instead of one per document (an initial sync holds none of them).
   */
  private java.util.Set<String> present(Txn txn, PullPage page) throws SQLException {
    java.util.Set<String> out = new java.util.HashSet<>();
    Map<String, List<String>> byCollection = new java.util.LinkedHashMap<>();
    for (PullPage.Change c : page.changes()) {
      if (!c.removed() && config.collections().containsKey(c.collection())) {
        byCollection.computeIfAbsent(c.collection(), k -> new ArrayList<>()).add(c.id());
      }
    }
    for (Map.Entry<String, List<String>> e : byCollection.entrySet()) {
      List<String> ids = e.getValue();
      for (int from = 0; from < ids.size(); from += 500) {
        List<String> chunk = ids.subList(from, Math.min(ids.size(), from + 500));
        // always 500 placeholders, the rest "" (no id is empty): one statement to cache, not 500
        PreparedStatement s = txn.prepare(PRESENT);
        s.setString(1, e.getKey());
        for (int i = 0; i < 500; i++) {
          s.setString(i + 2, i < chunk.size() ? chunk.get(i) : "");
        }
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(e.getKey() + "/" + rs.getString(1));
          }
        }
      }
    }
    return out;
  }

  private static final String PRESENT = "SELECT id FROM replica_docs WHERE collection = ? AND id IN (?"
      + ", ?".repeat(499) + ")";

  private static ObjectNode parse(String view) {
    try {
      return (ObjectNode) JSON.readTree(view);
    } catch (IOException | ClassCastException e) {
      throw new IllegalArgumentException("a pulled view is not a JSON object: " + e.getMessage(), e);
    }
  }

  // ---- storage -------------------------------------------------------------------------------------

  private Optional<Document> readState(Txn txn, String collection, String id) throws SQLException {
    PreparedStatement s = txn.prepare("SELECT state FROM replica_docs WHERE collection = ? AND id = ?");
    s.setString(1, collection);
    s.setString(2, id);
    try (ResultSet rs = s.executeQuery()) {
      return rs.next() ? Optional.of(SyncBinary.decode(collection, id, rs.getBytes(1))) : Optional.empty();
    }
  }

  private void writeDoc(Txn txn, Document d, long number) throws SQLException {
    writeDoc(txn, d, number, generation);
  }

  private static final String UPSERT = "INSERT INTO replica_docs (collection, id, state, view, change, gen, server_state)"
      + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET state = excluded.state,"
      + " view = excluded.view, change = excluded.change, gen = excluded.gen, server_state = excluded.server_state";
  /** A local write: the server state column is kept as it is (see {@link #keepServerState}). */
  private static final String WRITE_LOCAL = "INSERT INTO replica_docs (collection, id, state, view, change, gen,"
      + " server_state) VALUES (?, ?, ?, ?, ?, ?, x'') ON CONFLICT (collection, id) DO UPDATE SET state = excluded.state,"
      + " view = excluded.view, change = excluded.change, gen = excluded.gen";

  private static void writeDoc(Txn txn, Document d, long number, long gen) throws SQLException {
    PreparedStatement s = txn.prepare(WRITE_LOCAL);
    bind(s, d.collection(), d.id(), SyncBinary.encode(d), d.viewJson(), number, gen);
    s.executeUpdate();
  }

  /**
   * Before the first local write on top of the server's state, keeps that state aside: if the
   * server refuses one of the local ops, the document is rebuilt from it (see {@link #reconcile}).
   * A document first written here has an empty one (set by {@link #WRITE_LOCAL}'s insert).
   */
  private static void keepServerState(Txn txn, String collection, String id) throws SQLException {
    PreparedStatement s = txn.prepare("UPDATE replica_docs SET server_state = state WHERE collection = ? AND id = ?"
        + " AND server_state IS NULL");
    s.setString(1, collection);
    s.setString(2, id);
    s.executeUpdate();
  }

  /**
   * Documents whose local op the server refused (dead letters of the {@code $sync} topic since the
   * last look): each is rebuilt from the server's state as last pulled plus the local ops still in
   * the outbox, so it shows the server's state again, local writes not refused kept. Returns the
   * documents it changed.
   */
  private List<Change> reconcile(Txn txn) throws SQLException {
    long seen = Long.parseLong(readMeta(txn.connection).getOrDefault("dead_seen", "0"));
    java.util.Set<String> refused = new java.util.TreeSet<>();
    long last = seen;
    PreparedStatement dead = txn.prepare("SELECT seq, payload FROM dead_letters WHERE seq > ? AND topic = ? ORDER BY seq");
    dead.setLong(1, seen);
    dead.setString(2, Protocol.SYNC_TOPIC);
    try (ResultSet rs = dead.executeQuery()) {
      while (rs.next()) {
        last = rs.getLong(1);
        try {
          Op op = SyncJson.decodeOp(rs.getBytes(2));
          refused.add(op.collection() + "/" + op.id());
        } catch (IllegalArgumentException e) {
          // not an op of ours: nothing to rebuild
        }
      }
    }
    if (refused.isEmpty()) {
      if (last != seen) {
        putMeta(txn, "dead_seen", Long.toString(last));
      }
      return List.of();
    }
    // the local ops still in the outbox, by document, in order
    Map<String, List<Op>> pending = new java.util.HashMap<>();
    PreparedStatement ops = txn.prepare("SELECT payload FROM records WHERE topic = ? ORDER BY seq");
    ops.setString(1, Protocol.SYNC_TOPIC);
    try (ResultSet rs = ops.executeQuery()) {
      while (rs.next()) {
        Op op = SyncJson.decodeOp(rs.getBytes(1));
        String key = op.collection() + "/" + op.id();
        if (refused.contains(key)) {
          pending.computeIfAbsent(key, k -> new ArrayList<>()).add(op);
        }
      }
    }
    List<Change> out = new ArrayList<>();
    for (String key : refused) {
      int slash = key.indexOf('/');
      String collection = key.substring(0, slash);
      String id = key.substring(slash + 1);
      PreparedStatement s = txn.prepare("SELECT server_state, state FROM replica_docs WHERE collection = ? AND id = ?");
      s.setString(1, collection);
      s.setString(2, id);
      byte[] server;
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          continue;
        }
        // null: no local write since the last pull, the state is the server's; empty: never pulled
        server = rs.getBytes(1) != null ? rs.getBytes(1) : rs.getBytes(2);
      }
      Document rebuilt = server.length > 0 ? SyncBinary.decode(collection, id, server) : new Document(collection, id);
      pending.getOrDefault(key, List.of()).forEach(rebuilt::apply);
      long number = change.incrementAndGet();
      writeDoc(txn, rebuilt, number);
      out.add(new Change(collection, id, rebuilt.view(), false, number));
      LOG.info("{}: a local write the server refused was taken back; the document shows the server's state{}", key,
          pending.containsKey(key) ? " with the local writes still waiting" : "");
    }
    putMeta(txn, "dead_seen", Long.toString(last));
    return out;
  }

  private static void bind(PreparedStatement s, String collection, String id, byte[] state, String view, long number,
      long gen) throws SQLException {
    s.setString(1, collection);
    s.setString(2, id);
    s.setBytes(3, state);
    s.setString(4, view);
    s.setLong(5, number);
    s.setLong(6, gen);
  }

  private static Map<String, String> readMeta(Connection c) throws SQLException {
    Map<String, String> m = new java.util.HashMap<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT key, value FROM replica_meta")) {
      while (rs.next()) {
        m.put(rs.getString(1), rs.getString(2));
      }
    }
    return m;
  }

  private static void putMeta(Txn txn, String key, String value) throws SQLException {
    PreparedStatement s = txn.prepare("INSERT INTO replica_meta (key, value) VALUES (?, ?)"
        + " ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    s.setString(1, key);
    s.setString(2, value);
    s.executeUpdate();
  }

  private Optional<ObjectNode> readView(String collection, String id) {
    synchronized (read) {
      try (PreparedStatement s = read.prepareStatement("SELECT view FROM replica_docs WHERE collection = ? AND id = ?")) {
        s.setString(1, collection);
        s.setString(2, id);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next() || rs.getString(1) == null) {
            return Optional.empty();
          }
          return Optional.of((ObjectNode) JSON.readTree(rs.getString(1)));
        }
      } catch (SQLException | IOException e) {
        throw new OutboxStorageException("replica read of " + collection + "/" + id + " failed: " + e.getMessage(), e);
      }
    }
  }

  private Page query(String collection, Map<String, JsonNode> where, String afterId, int limit) {
    if (limit < 1 || limit > 10_000) {
      throw new IllegalArgumentException("limit must be 1..10000, was " + limit);
    }
    StringBuilder sql = new StringBuilder("SELECT id, view FROM replica_docs WHERE collection = ? AND id > ? AND view IS NOT NULL");
    List<String> values = new ArrayList<>();
    for (Map.Entry<String, JsonNode> w : new java.util.TreeMap<>(where).entrySet()) {
      if (!w.getValue().isValueNode() || w.getValue().isNull()) {
        throw new IllegalArgumentException("where." + w.getKey() + " must be a string, number or boolean");
      }
      sql.append(" AND json_extract(view, ?) = json_extract(?, '$')");
      values.add("$.\"" + w.getKey().replace("\"", "") + "\"");
      values.add(w.getValue().toString());
    }
    sql.append(" ORDER BY id LIMIT ?");
    synchronized (read) {
      try (PreparedStatement s = read.prepareStatement(sql.toString())) {
        int i = 1;
        s.setString(i++, collection);
        s.setString(i++, afterId == null ? "" : afterId);
        for (String v : values) {
          s.setString(i++, v);
        }
        s.setInt(i, limit);
        List<Doc> docs = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            docs.add(new Doc(rs.getString(1), (ObjectNode) JSON.readTree(rs.getString(2))));
          }
        }
        return new Page(docs, docs.size() < limit ? null : docs.getLast().id());
      } catch (SQLException | IOException e) {
        throw new OutboxStorageException("replica query of " + collection + " failed: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public List<Change> changesAfter(String collection, long after, int limit) {
    collection(collection); // refuses an unknown one
    if (limit < 1 || limit > 10_000) {
      throw new IllegalArgumentException("limit must be 1..10000, was " + limit);
    }
    synchronized (read) {
      // a document that left and came back is listed twice, removal first: the later one is its state
      try (PreparedStatement s = read.prepareStatement("SELECT id, view, change FROM replica_docs WHERE change > ?"
          + " AND collection = ? UNION ALL SELECT id, NULL, change FROM replica_removed WHERE change > ?"
          + " AND collection = ? ORDER BY change LIMIT ?")) {
        s.setLong(1, after);
        s.setString(2, collection);
        s.setLong(3, after);
        s.setString(4, collection);
        s.setInt(5, limit);
        List<Change> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            String view = rs.getString(2);
            out.add(new Change(collection, rs.getString(1), view == null ? null : (ObjectNode) JSON.readTree(view), false,
                rs.getLong(3)));
          }
        }
        return out;
      } catch (SQLException | IOException e) {
        throw new OutboxStorageException("replica changes of " + collection + " failed: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public Map<String, Long> pendingOps() {
    Map<String, Long> out = new java.util.TreeMap<>();
    config.collections().keySet().forEach(c -> out.put(c, 0L));
    synchronized (read) {
      try (PreparedStatement s = read.prepareStatement("SELECT headers, count(*) FROM records WHERE topic = ?"
          + " AND state IN (" + Schema.PENDING + ", " + Schema.LEASED + ") GROUP BY headers")) {
        s.setString(1, Protocol.SYNC_TOPIC);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            byte[] h = rs.getBytes(1);
            String collection = h == null ? null : HeaderCodec.decode(h).get(COLLECTION_HEADER);
            if (collection != null) {
              out.merge(collection, rs.getLong(2), Long::sum);
            }
          }
        }
      } catch (SQLException e) {
        throw new OutboxStorageException("counting the replica's pending ops failed: " + e.getMessage(), e);
      }
    }
    return out;
  }

  @Override
  public long changesCompleteAfter() {
    synchronized (read) {
      try (PreparedStatement s = read.prepareStatement("SELECT value FROM replica_meta WHERE key = 'removed_floor'");
          ResultSet rs = s.executeQuery()) {
        return rs.next() ? Long.parseLong(rs.getString(1)) : 0;
      } catch (SQLException e) {
        throw new OutboxStorageException("reading the replica's removal floor failed: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public long lastChange() {
    return change.get();
  }

  private void notifyLater(List<Change> changes) {
    if (changes.isEmpty() || observers.isEmpty()) {
      return;
    }
    notifier.execute(() -> {
      for (Change c : changes) {
        for (Observer o : observers) {
          if (o.collection().equals(c.collection())) {
            try {
              o.listener().accept(c);
            } catch (RuntimeException e) {
              LOG.warn("a replica observer of {} failed: {}", c.collection(), e.toString());
            }
          }
        }
      }
    });
  }

  @Override
  public void close() {
    notifier.shutdown();
    synchronized (read) {
      StoreFile.closeQuietly(read);
    }
  }
}
