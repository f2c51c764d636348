package dev.outpost.server.internal;

import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.Op;
import dev.outpost.core.sync.ServerMerge;
import dev.outpost.core.sync.SyncBinary;
import dev.outpost.core.sync.SyncJson;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Documents and their feed on any JDBC store, written once for SQLite and PostgreSQL over the
 * store's {@link JdbcAccess} (for SQLite, writes run on the single writer between ingest groups).
 *
 * <pre>
 * docs (collection, id) PK | state BLOB/BYTEA (the whole merge state, SyncBinary) | view TEXT (null: deleted)
 *      | seq BIGINT UNIQUE (feed position) | tx_end BIGINT (last position of its transaction)
 * sync_head (id = 1, seq)   the last feed position handed out
 * </pre>
 *
 * <p>The commit-order guarantee: a writing transaction takes its positions by updating the one
 * {@code sync_head} row, which holds that row's write lock until it commits; the next writer
 * waits there. Positions are therefore visible in the order they were handed out (on SQLite the
 * single writer gives the same). Thread-safe.
 */
final class JdbcDocStore implements DocStore {
  /** The tables, for both dialects: a migration of each store runs these. */
  static final String[] TABLES = {
    "CREATE TABLE IF NOT EXISTS docs (collection TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL,"
        + " view TEXT, seq BIGINT NOT NULL, tx_end BIGINT NOT NULL, PRIMARY KEY (collection, id))",
    "CREATE UNIQUE INDEX IF NOT EXISTS docs_seq ON docs (seq)",
    "CREATE TABLE IF NOT EXISTS sync_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL)",
    "INSERT INTO sync_head (id, seq) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
  };

  /** When each row changed (its document's latest HLC wall time), and how far compaction went. */
  static final String[] COMPACTION = {
    "ALTER TABLE docs ADD COLUMN changed_at BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE sync_head ADD COLUMN compacted BIGINT NOT NULL DEFAULT 0",
  };

  /**
   * Migration 6: the state column from {@link SyncJson} text to {@link SyncBinary} bytes (about a
   * third of the size; a pull sends it as it is). Rewrites every row in key order, in pages, inside
   * the migration's transaction: a crash leaves the store at migration 5, untouched.
   */
  static void binaryStates(java.sql.Statement st, String bytesType) throws SQLException {
    Connection c = st.getConnection();
    st.execute("ALTER TABLE docs ADD COLUMN state_bin " + bytesType);
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    String lastCollection = "";
    String lastId = "";
    for (int pages = 0; ; pages++) {
      List<String[]> rows = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT collection, id, state FROM docs WHERE collection > ?"
          + " OR (collection = ? AND id > ?) ORDER BY collection, id LIMIT 1000")) {
        s.setString(1, lastCollection);
        s.setString(2, lastCollection);
        s.setString(3, lastId);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            rows.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
          }
        }
      }
      if (rows.isEmpty()) {
        break;
      }
      try (PreparedStatement s = c.prepareStatement("UPDATE docs SET state_bin = ? WHERE collection = ? AND id = ?")) {
        for (String[] r : rows) {
          Document d;
          try {
            d = SyncJson.decodeDocument(json.readTree(r[2]));
          } catch (java.io.IOException | IllegalArgumentException e) {
            throw new SQLException("document " + r[0] + "/" + r[1] + " has an unreadable state; restore the store"
                + " from a backup or delete that row, then start again: " + e.getMessage(), e);
          }
          s.setBytes(1, SyncBinary.encode(d));
          s.setString(2, r[0]);
          s.setString(3, r[1]);
          s.addBatch();
        }
        s.executeBatch();
      }
      lastCollection = rows.getLast()[0];
      lastId = rows.getLast()[1];
    }
    st.execute("ALTER TABLE docs DROP COLUMN state");
    st.execute("ALTER TABLE docs RENAME COLUMN state_bin TO state");
  }

  /** Conflicts a person resolves; the key column differs by dialect. */
  static String conflictsTable(String key) {
    return "CREATE TABLE IF NOT EXISTS conflicts (conflict_id " + key + ", collection TEXT NOT NULL, id TEXT NOT NULL,"
        + " field TEXT NOT NULL, current_value TEXT, current_at TEXT NOT NULL, proposed_value TEXT, proposed_at TEXT NOT NULL,"
        + " created_at BIGINT NOT NULL, resolved_at BIGINT, resolution TEXT)";
  }
  private static final String COLUMNS = "collection, id, state, view, seq, tx_end";
  private static final String WRITE_COLUMNS = COLUMNS + ", changed_at";

  private final JdbcAccess access;
  /** PostgreSQL: writers of documents serialize on the feed's head row ({@link #lockHead}). */
  private final boolean postgres;
  private final FeedSignal signal = new FeedSignal();
  /**
   * The feed's table as its reads name it. On SQLite "docs INDEXED BY docs_seq": without
   * statistics (nothing runs ANALYZE) SQLite reads {@code seq > ? AND collection IN (..) ORDER BY
   * seq} through the primary key and sorts every document of those collections for each page,
   * which makes a whole-subscription pull quadratic. PostgreSQL keeps its own statistics.
   */
  private final String feedTable;

  JdbcDocStore(JdbcAccess access, boolean postgres) {
    this.access = access;
    this.postgres = postgres;
    this.feedTable = postgres ? "docs" : "docs INDEXED BY docs_seq";
  }

  @Override
  public long awaitPast(long after, long timeoutMillis) {
    return signal.awaitPast(after, timeoutMillis, this::feedHead);
  }

  @Override
  public Optional<StoredDoc> get(String collection, String id) {
    return access.read(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM docs WHERE collection = ? AND id = ?")) {
        s.setString(1, collection);
        s.setString(2, id);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next() ? Optional.of(row(rs)) : Optional.empty();
        }
      }
    });
  }

  @Override
  public List<StoredDoc> list(String collection, String afterId, int limit) {
    return access.read(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM docs WHERE collection = ? AND id > ?"
          + " AND view IS NOT NULL ORDER BY id LIMIT ?")) {
        s.setString(1, collection);
        s.setString(2, afterId == null ? "" : afterId);
        s.setInt(3, limit);
        return rows(s);
      }
    });
  }

  @Override
  public <T> T update(String collection, Collection<String> ids, Function<Map<String, Document>, Change<T>> change) {
    T result = access.write(c -> {
      lockHead(c);
      Map<String, Document> current = new LinkedHashMap<>();
      try (Reader r = new Reader(c)) {
        for (String id : new TreeSet<>(ids)) { // each once
          current.put(id, r.state(collection, id));
        }
      }
      Change<T> ch = change.apply(current);
      if (!ch.changed().isEmpty()) {
        writeAll(c, ch.changed());
      }
      return ch.result();
    });
    signal.changed(); // committed: wake long-polling pulls
    return result;
  }

  private Optional<StoredDoc> read(Connection c, String collection, String id) throws SQLException {
    try (Reader r = new Reader(c)) {
      return r.read(collection, id);
    }
  }

  /**
   * Reads documents by key in the caller's transaction with one prepared statement (SQLite's
   * driver prepares anew for every statement made: a tenth of a merge's time went there).
   */
  private final class Reader implements AutoCloseable {
    private final PreparedStatement s;

    Reader(Connection c) throws SQLException {
      s = c.prepareStatement("SELECT " + COLUMNS + " FROM docs WHERE collection = ? AND id = ?");
    }

    Optional<StoredDoc> read(String collection, String id) throws SQLException {
      s.setString(1, collection);
      s.setString(2, id);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(row(rs)) : Optional.empty();
      }
    }

    Document state(String collection, String id) throws SQLException {
      return read(collection, id).map(StoredDoc::state).orElseGet(() -> new Document(collection, id));
    }

    @Override
    public void close() throws SQLException {
      s.close();
    }
  }

  /**
   * Every transaction that writes documents takes the feed's head row first and holds it to its
   * commit (on PostgreSQL; SQLite's single writer needs nothing). A document that does not exist
   * yet has no row to lock: two servers creating it at once both read it absent, and the later
   * upsert overwrote the earlier's write (an increment was lost in
   * PostgresTwoServersSyncTest). Each writer takes the head anyway to number its changes; taking
   * it first serializes the writers of documents, so they need no row locks and cannot deadlock
   * on each other. Ingest groups were already serialized by the ingest lock.
   */
  private void lockHead(Connection c) throws SQLException {
    if (!postgres) {
      return;
    }
    try (PreparedStatement s = c.prepareStatement("SELECT seq FROM sync_head WHERE id = 1 FOR UPDATE");
        ResultSet rs = s.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("sync_head has no row: the documents schema is incomplete");
      }
    }
  }

  /** Takes consecutive feed positions for the documents and writes them (upsert). */
  private static void writeAll(Connection c, List<Document> docs) throws SQLException {
    writeAll(c, docs, Map.of());
  }

  /**
   * As {@link #writeAll(Connection, List)}; a document whose SQLite rowid is in {@code rowids}
   * (keyed "collection/id", read in this transaction) is updated by it, in rowid order: no key
   * lookup, and the table's pages are visited in order.
   */
  private static void writeAll(Connection c, List<Document> docs, Map<String, Long> rowids) throws SQLException {
    long end;
    try (PreparedStatement s = c.prepareStatement("UPDATE sync_head SET seq = seq + ? WHERE id = 1 RETURNING seq")) {
      s.setLong(1, docs.size());
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("sync_head has no row: the documents schema is incomplete");
        }
        end = rs.getLong(1);
      }
    }
    record Row(Document doc, Long rowid) {}
    List<Row> ordered = new ArrayList<>(docs.size());
    for (Document d : docs) {
      ordered.add(new Row(d, rowids.isEmpty() ? null : rowids.get(d.collection() + "/" + d.id())));
    }
    if (!rowids.isEmpty()) {
      ordered.sort(java.util.Comparator.comparingLong(r -> r.rowid() == null ? Long.MAX_VALUE : r.rowid()));
    }
    long seq = end - docs.size();
    try (PreparedStatement byRowid = c.prepareStatement("UPDATE docs SET state = ?, view = ?, seq = ?, tx_end = ?,"
            + " changed_at = ? WHERE rowid = ?");
        PreparedStatement upsert = c.prepareStatement("INSERT INTO docs (" + WRITE_COLUMNS + ") VALUES (?, ?, ?, ?, ?,"
            + " ?, ?) ON CONFLICT (collection, id) DO UPDATE SET state = excluded.state, view = excluded.view,"
            + " seq = excluded.seq, tx_end = excluded.tx_end, changed_at = excluded.changed_at")) {
      boolean updates = false;
      boolean upserts = false;
      for (Row r : ordered) {
        Document d = r.doc();
        Long rowid = r.rowid();
        PreparedStatement s = rowid != null ? byRowid : upsert;
        int i = 1;
        if (rowid == null) {
          s.setString(i++, d.collection());
          s.setString(i++, d.id());
        }
        s.setBytes(i++, SyncBinary.encode(d));
        s.setString(i++, d.viewJson());
        s.setLong(i++, ++seq);
        s.setLong(i++, end);
        s.setLong(i++, d.version() == null ? 0 : d.version().wallMillis());
        if (rowid != null) {
          s.setLong(i, rowid);
          updates = true;
        } else {
          upserts = true;
        }
        s.addBatch();
      }
      if (updates) {
        byRowid.executeBatch();
      }
      if (upserts) {
        upsert.executeBatch();
      }
    }
  }

  /**
   * Merges devices' ops into their documents inside the caller's transaction (the ingest group's,
   * so the merge commits with the records' dedupe), writes the changed documents at new feed
   * positions and records the conflicts. Call {@link #committed()} after the commit.
   */
  void mergeIn(Connection c, List<Op> ops, SyncMerger merger, long now) throws SQLException {
    lockHead(c);
    Map<String, Long> rowids = new java.util.HashMap<>();
    Map<String, Document> docs = readForMerge(c, ops, rowids);
    SyncMerger.Merged merged = merger.merge(docs, ops);
    if (!merged.changed().isEmpty()) {
      writeAll(c, merged.changed(), rowids);
    }
    if (!merged.conflicts().isEmpty()) {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO conflicts (collection, id, field, current_value,"
          + " current_at, proposed_value, proposed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (ServerMerge.Conflict k : merged.conflicts()) {
          s.setString(1, k.collection());
          s.setString(2, k.id());
          s.setString(3, k.field());
          s.setString(4, k.current() == null ? null : k.current().toString());
          s.setString(5, k.currentAt().toString());
          s.setString(6, k.proposed() == null ? null : k.proposed().toString());
          s.setString(7, k.proposedAt().toString());
          s.setLong(8, now);
          s.addBatch();
        }
        s.executeBatch();
      }
    }
  }

  /** Ids per statement of {@link #readForMerge}; a shorter list repeats its last id (one statement text). */
  private static final int READ_CHUNK = 128;

  /**
   * Reads the documents {@code ops} name, keyed "collection/id" (neither holds '/'), a missing one
   * as a new empty document; the caller holds the feed's head ({@link #lockHead}), so no other
   * writer changes them before its commit. One statement per {@value #READ_CHUNK} ids of a
   * collection: a statement per document cost more in the driver than reading the row. Only the
   * state and the stored view's size are read: the size lets the merge's size check skip
   * serializing the view (see ServerMerge); on SQLite also the rowid, put in {@code rowids}, by
   * which the merged document is written back.
   */
  private Map<String, Document> readForMerge(Connection c, List<Op> ops, Map<String, Long> rowids) throws SQLException {
    TreeMap<String, TreeSet<String>> ids = new TreeMap<>();
    for (Op op : ops) {
      ids.computeIfAbsent(op.collection(), k -> new TreeSet<>()).add(op.id());
    }
    Map<String, Document> docs = new java.util.HashMap<>();
    String sql = "SELECT id, state, " + (postgres ? "octet_length(view), 0" : "length(CAST(view AS BLOB)), rowid")
        + " FROM docs WHERE collection = ? AND id IN (?" + ", ?".repeat(READ_CHUNK - 1) + ")";
    try (PreparedStatement s = c.prepareStatement(sql)) {
      for (Map.Entry<String, TreeSet<String>> e : ids.entrySet()) {
        String collection = e.getKey();
        List<String> all = new ArrayList<>(e.getValue());
        for (int from = 0; from < all.size(); from += READ_CHUNK) {
          List<String> chunk = all.subList(from, Math.min(all.size(), from + READ_CHUNK));
          s.setString(1, collection);
          for (int k = 0; k < READ_CHUNK; k++) {
            s.setString(2 + k, chunk.get(Math.min(k, chunk.size() - 1)));
          }
          try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              String id = rs.getString(1);
              Document d = new StoredDoc(collection, id, rs.getBytes(2), null, 0, 0).state();
              int viewBytes = rs.getInt(3);
              if (!rs.wasNull()) {
                d.viewBytesAtMost(viewBytes);
              }
              docs.put(collection + "/" + id, d);
              if (!postgres) {
                rowids.put(collection + "/" + id, rs.getLong(4));
              }
            }
          }
          for (String id : chunk) {
            docs.computeIfAbsent(collection + "/" + id, k -> new Document(collection, id));
          }
        }
      }
    }
    return docs;
  }

  /**
   * Adds to {@code ops} the ops of {@code w}'s messages stored now (a duplicate was merged when it
   * was first stored); returns the merger to use.
   */
  static SyncMerger opsStoredNow(MessageStore.Write w, boolean[] stored, List<Op> ops, SyncMerger merger) {
    if (w.sync() == null) {
      return merger;
    }
    List<Op> all = w.sync().ops();
    for (int k = 0; k < stored.length; k++) {
      if (stored[k] && all.get(k) != null) {
        ops.add(all.get(k));
      }
    }
    return w.sync().merger();
  }

  /** A transaction that wrote documents outside {@link #update} committed: wake long-polling pulls. */
  void committed() {
    signal.changed();
  }

  @Override
  public List<StoredDoc> feed(long after, int limit, Set<String> collections) {
    if (collections.isEmpty()) {
      return List.of();
    }
    return access.read(c -> {
      String in = "?" + ", ?".repeat(collections.size() - 1);
      List<StoredDoc> page;
      try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM " + feedTable + " WHERE seq > ? AND collection IN ("
          + in + ") ORDER BY seq LIMIT ?")) {
        int i = 1;
        s.setLong(i++, after);
        for (String col : collections) {
          s.setString(i++, col);
        }
        s.setInt(i, limit);
        page = rows(s);
      }
      if (page.size() < limit || page.isEmpty()) {
        return page;
      }
      StoredDoc last = page.get(page.size() - 1);
      if (last.txEnd() == last.seq()) {
        return page;
      }
      // the page would end inside a transaction: take the rest of it
      try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM " + feedTable + " WHERE seq > ? AND seq <= ?"
          + " AND collection IN (" + in + ") ORDER BY seq")) {
        int i = 1;
        s.setLong(i++, last.seq());
        s.setLong(i++, last.txEnd());
        for (String col : collections) {
          s.setString(i++, col);
        }
        List<StoredDoc> all = new ArrayList<>(page);
        all.addAll(rows(s));
        return all;
      }
    });
  }

  private static final String CONFLICT_COLUMNS = "conflict_id, collection, id, field, current_value, current_at,"
      + " proposed_value, proposed_at, created_at, resolved_at, resolution";

  private static final String SYNC_CONFIG = "sync_config";

  @Override
  public Optional<String> syncConfig() {
    return access.read(c -> JdbcQueries.setting(c, SYNC_CONFIG));
  }

  @Override
  public void saveSyncConfig(String text) {
    access.write(c -> {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO settings (key, value) VALUES (?, ?)"
          + " ON CONFLICT (key) DO UPDATE SET value = excluded.value")) {
        s.setString(1, SYNC_CONFIG);
        s.setString(2, text);
        s.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public long openConflicts() {
    return access.read(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL");
          ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    });
  }

  @Override
  public List<ConflictRow> conflicts(boolean openOnly, long afterId, int limit) {
    return access.read(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT " + CONFLICT_COLUMNS + " FROM conflicts WHERE conflict_id > ?"
          + (openOnly ? " AND resolved_at IS NULL" : "") + " ORDER BY conflict_id LIMIT ?")) {
        s.setLong(1, afterId);
        s.setInt(2, limit);
        List<ConflictRow> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(conflict(rs));
          }
        }
        return out;
      }
    });
  }

  @Override
  public Optional<Document> resolve(long conflictId, java.util.function.BiConsumer<Document, ConflictRow> resolve,
      String resolution, long now) {
    Optional<Document> done = access.write(c -> {
      lockHead(c);
      ConflictRow row;
      try (PreparedStatement s = c.prepareStatement("SELECT " + CONFLICT_COLUMNS + " FROM conflicts WHERE conflict_id = ?")) {
        s.setLong(1, conflictId);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            return Optional.<Document>empty();
          }
          row = conflict(rs);
        }
      }
      if (row.resolvedAt() != null) {
        throw new IllegalStateException("conflict " + conflictId + " was resolved already (" + row.resolution() + ")");
      }
      Document doc = read(c, row.collection(), row.docId()).map(StoredDoc::state)
          .orElseGet(() -> new Document(row.collection(), row.docId()));
      resolve.accept(doc, row);
      writeAll(c, List.of(doc));
      try (PreparedStatement s = c.prepareStatement("UPDATE conflicts SET resolved_at = ?, resolution = ? WHERE conflict_id = ?")) {
        s.setLong(1, now);
        s.setString(2, resolution);
        s.setLong(3, conflictId);
        s.executeUpdate();
      }
      return Optional.of(doc);
    });
    done.ifPresent(d -> signal.changed());
    return done;
  }

  private static ConflictRow conflict(ResultSet rs) throws SQLException {
    long resolvedAt = rs.getLong(10);
    Long resolved = rs.wasNull() ? null : resolvedAt;
    return new ConflictRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
        rs.getString(6), rs.getString(7), rs.getString(8), rs.getLong(9), resolved, rs.getString(11));
  }

  @Override
  public long compact(long beforeMillis) {
    return access.write(c -> {
      long horizon;
      try (PreparedStatement s = c.prepareStatement(
          "SELECT coalesce(max(seq), 0) FROM docs WHERE view IS NULL AND changed_at < ?")) {
        s.setLong(1, beforeMillis);
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          horizon = rs.getLong(1);
        }
      }
      if (horizon == 0) {
        return 0L;
      }
      lockHead(c); // as every writer of documents; the horizon and the removal commit together
      long removed;
      try (PreparedStatement s = c.prepareStatement("DELETE FROM docs WHERE view IS NULL AND changed_at < ? AND seq <= ?")) {
        s.setLong(1, beforeMillis);
        s.setLong(2, horizon);
        removed = s.executeUpdate();
      }
      try (PreparedStatement s = c.prepareStatement(
          "UPDATE sync_head SET compacted = CASE WHEN compacted > ? THEN compacted ELSE ? END WHERE id = 1")) {
        s.setLong(1, horizon);
        s.setLong(2, horizon);
        s.executeUpdate();
      }
      return removed;
    });
  }

  @Override
  public long compactedHead() {
    return access.read(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT compacted FROM sync_head WHERE id = 1");
          ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    });
  }

  @Override
  public long feedHead() {
    return access.read(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT seq FROM sync_head WHERE id = 1");
          ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    });
  }

  private static List<StoredDoc> rows(PreparedStatement s) throws SQLException {
    List<StoredDoc> out = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        out.add(row(rs));
      }
    }
    return out;
  }

  private static StoredDoc row(ResultSet rs) throws SQLException {
    return new StoredDoc(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getString(4), rs.getLong(5), rs.getLong(6));
  }
}
