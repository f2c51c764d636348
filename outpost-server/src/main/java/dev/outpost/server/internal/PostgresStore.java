package dev.outpost.server.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outpost.core.Message;
import dev.outpost.server.StoredRecord;
import dev.outpost.core.sync.Op;
import dev.outpost.sqlite.Migrations;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The production store: PostgreSQL through a HikariCP pool. The schema is created (or brought up
 * to date) on open, under an advisory lock so several servers may start at once.
 *
 * <p>Exactly once across processes: each batch is one multi-row {@code INSERT ... SELECT FROM
 * unnest(...) ON CONFLICT (device_id, epoch, seq) DO NOTHING RETURNING seq}; the unique index
 * decides stored vs duplicate, even when two servers take the same batch at the same moment.
 * Batches that arrive while a commit runs are group-committed in one transaction by a {@link
 * GroupCommitter} (one commit and one lock hand-over per group, not per request).
 *
 * <p>Read-back order: a bigserial is drawn before commit, so two concurrent transactions could
 * commit in the other order and a reader paging {@code after=cursor} would skip the lower one.
 * Every ingest therefore takes {@code pg_advisory_xact_lock(INGEST_LOCK)} before drawing
 * server_seq values and holds it until commit: server_seq order is commit order on every server
 * sharing the database. The cost is that ingest commits are serialized (each carries whole
 * batches). Thread-safe; durability is PostgreSQL's (synchronous_commit as configured).
 */
public final class PostgresStore implements Store, JdbcAccess {
  /** Advisory lock key taken around every ingest insert ("OUTPOST1" as a long). */
  static final long INGEST_LOCK = 0x4F5554504F535431L;
  private static final long SCHEMA_LOCK = INGEST_LOCK + 1;

  private static final String[] SCHEMA = {
    "CREATE TABLE IF NOT EXISTS messages (server_seq BIGSERIAL PRIMARY KEY, device_id TEXT NOT NULL,"
        + " epoch BIGINT NOT NULL, seq BIGINT NOT NULL, topic TEXT NOT NULL, priority SMALLINT NOT NULL,"
        + " ts BIGINT NOT NULL, received_at BIGINT NOT NULL, headers TEXT, payload BYTEA NOT NULL,"
        + " UNIQUE (device_id, epoch, seq))",
    "CREATE TABLE IF NOT EXISTS devices (device_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE,"
        + " created_at BIGINT NOT NULL, revoked_at BIGINT NOT NULL DEFAULT 0,"
        + " last_seen BIGINT NOT NULL DEFAULT 0, stored BIGINT NOT NULL DEFAULT 0,"
        + " duplicates BIGINT NOT NULL DEFAULT 0, rejected BIGINT NOT NULL DEFAULT 0,"
        + " health TEXT, health_at BIGINT NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  };

  /** Numbered schema changes, recorded in the table schema_version; a new one goes at the end. */
  static final Migrations MIGRATIONS = ServerSchema.migrations("PostgreSQL server store", SCHEMA, "BIGSERIAL PRIMARY KEY", "BYTEA");

  private static final String INSERT =
      "INSERT INTO messages (" + JdbcQueries.INSERT_MESSAGE_COLUMNS + ")"
          + " SELECT ?, ?, u.seq, u.topic, u.priority, u.ts, ?, u.headers, u.payload"
          + " FROM unnest(?::bigint[], ?::text[], ?::smallint[], ?::bigint[], ?::text[], ?::bytea[])"
          + " AS u(seq, topic, priority, ts, headers, payload)"
          + " ON CONFLICT (device_id, epoch, seq) DO NOTHING RETURNING seq";

  static final int MAX_GROUP_RECORDS = 20_000;

  private final HikariDataSource pool;
  private final String where;
  private final GroupCommitter committer;
  private final JdbcDeviceStore deviceStore = new JdbcDeviceStore(this);
  private final JdbcDocStore docStore = new JdbcDocStore(this, true);

  private PostgresStore(HikariDataSource pool, String where, Duration timeout) {
    this.pool = pool;
    this.where = where;
    this.committer = new GroupCommitter("PostgreSQL store " + where, this::writeGroup, MAX_GROUP_RECORDS, timeout);
  }

  public static PostgresStore open(String jdbcUrl, int poolSize) {
    return open(jdbcUrl, poolSize, Duration.ofSeconds(30));
  }

  /** Connects, creates or migrates the schema, and returns the store. */
  public static PostgresStore open(String jdbcUrl, int poolSize, Duration timeout) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(jdbcUrl);
    hc.setMaximumPoolSize(poolSize);
    hc.setPoolName("outpost-pg");
    hc.setAutoCommit(false);
    hc.setConnectionTimeout(10_000);
    hc.setInitializationFailTimeout(10_000);
    String where = redact(jdbcUrl);
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(hc);
    } catch (RuntimeException e) {
      throw new StoreException("cannot connect to PostgreSQL at " + where + ": " + rootMessage(e), e);
    }
    PostgresStore store = new PostgresStore(pool, where, timeout);
    try {
      store.tx(c -> {
        try (Statement s = c.createStatement()) {
          s.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
        }
        MIGRATIONS.migrate(c, Migrations.Ledger.TABLE, where);
        return null;
      });
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    return store;
  }

  @Override
  public CompletableFuture<boolean[]> submit(Write write, CompletableFuture<?> after) {
    return committer.submit(write, after);
  }

  @Override
  public boolean[] await(CompletableFuture<boolean[]> commit) {
    return committer.await(commit);
  }

  @Override
  public int pendingRecords() {
    return committer.pending();
  }

  /** One transaction for a group of writes (runs on the committer's thread). */
  private List<boolean[]> writeGroup(List<Write> group) {
    List<boolean[]> written = tx(c -> {
      List<PreparedStatement> inserts = new ArrayList<>(group.size());
      try {
        // Everything that can be done before the lock is done: it is held until commit.
        for (Write w : group) {
          inserts.add(w.messages().isEmpty() ? null : bindInsert(c, w));
        }
        try (Statement s = c.createStatement()) {
          s.execute("SELECT pg_advisory_xact_lock(" + INGEST_LOCK + ")");
        }
        List<boolean[]> results = new ArrayList<>(group.size());
        SyncMerger merger = null;
        List<Op> ops = new ArrayList<>();
        try (PreparedStatement count = c.prepareStatement(JdbcQueries.countWriteSql("GREATEST"))) {
          for (int i = 0; i < group.size(); i++) {
            Write w = group.get(i);
            boolean[] stored = inserts.get(i) == null ? new boolean[0] : insert(inserts.get(i), w.messages());
            int n = 0;
            for (boolean b : stored) {
              n += b ? 1 : 0;
            }
            JdbcQueries.countWrite(count, w, n, stored.length - n);
            results.add(stored);
            merger = JdbcDocStore.opsStoredNow(w, stored, ops, merger);
          }
        }
        if (!ops.isEmpty()) {
          docStore.mergeIn(c, ops, merger, group.get(0).receivedAt());
        }
        return results;
      } finally {
        for (PreparedStatement ps : inserts) {
          if (ps != null) {
            ps.close();
          }
        }
      }
    });
    if (group.stream().anyMatch(w -> w.sync() != null)) {
      docStore.committed(); // wake long-polling pulls
    }
    return written;
  }

  /** Runs a bound insert; true for each message stored now, false for each already there. */
  private static boolean[] insert(PreparedStatement ps, List<Message> ms) throws SQLException {
    Map<Long, Integer> inserted = new HashMap<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        inserted.merge(rs.getLong(1), 1, Integer::sum);
      }
    }
    // A seq sent twice in one batch is inserted once: its first occurrence is the stored one.
    boolean[] stored = new boolean[ms.size()];
    for (int i = 0; i < ms.size(); i++) {
      Integer left = inserted.get(ms.get(i).seq());
      if (left != null && left > 0) {
        stored[i] = true;
        inserted.put(ms.get(i).seq(), left - 1);
      }
    }
    return stored;
  }

  /** The unnest insert of one write, columns as arrays. */
  private static PreparedStatement bindInsert(Connection c, Write w) throws SQLException {
    List<Message> ms = w.messages();
    int size = ms.size();
    Long[] seqs = new Long[size];
    String[] topics = new String[size];
    Short[] priorities = new Short[size];
    Long[] tss = new Long[size];
    String[] headers = new String[size];
    byte[][] payloads = new byte[size][];
    for (int i = 0; i < size; i++) {
      Message m = ms.get(i);
      seqs[i] = m.seq();
      topics[i] = m.topic();
      priorities[i] = (short) m.priority().rank();
      tss[i] = m.timestampMillis();
      headers[i] = JdbcQueries.headersJson(m.headers());
      payloads[i] = m.payload();
    }
    PreparedStatement ps = c.prepareStatement(INSERT);
    try {
      ps.setString(1, w.deviceId());
      ps.setLong(2, w.epoch());
      ps.setLong(3, w.receivedAt());
      ps.setArray(4, c.createArrayOf("bigint", seqs));
      ps.setArray(5, c.createArrayOf("text", topics));
      ps.setArray(6, c.createArrayOf("smallint", priorities));
      ps.setArray(7, c.createArrayOf("bigint", tss));
      ps.setArray(8, c.createArrayOf("text", headers));
      ps.setArray(9, c.createArrayOf("bytea", payloads));
      return ps;
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
  }


  @Override
  public List<StoredRecord> page(long after, int limit, String device, String topic) {
    return tx(c -> JdbcQueries.page(c, after, limit, device, topic));
  }








  @Override
  public DeviceStore devices() {
    return deviceStore;
  }

  @Override
  public AdminTokenStore adminTokens() {
    return deviceStore;
  }

  @Override
  public DocStore docs() {
    return docStore;
  }

  @Override
  public void ping() {
    tx(c -> {
      try (Statement s = c.createStatement()) {
        s.executeQuery("SELECT 1").close();
      }
      return null;
    });
  }

  @Override
  public <T> T read(Work<T> work) {
    return tx(work);
  }

  @Override
  public <T> T write(Work<T> work) {
    return tx(work);
  }

  /** Runs work in one transaction: commit on success, rollback on any failure. */
  private <T> T tx(Work<T> work) {
    try (Connection c = pool.getConnection()) {
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("PostgreSQL at " + where + " failed: " + rootMessage(e), e);
    }
  }

  /** Drops the password from a JDBC URL so it can go into messages and logs. */
  static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&]*", "$1***");
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
  }

  @Override
  public void close() {
    committer.close();
    pool.close();
  }

}
