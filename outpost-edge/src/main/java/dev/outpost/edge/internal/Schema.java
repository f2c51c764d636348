package dev.outpost.edge.internal;

import dev.outpost.sqlite.Migrations;

/**
 * The on-disk format of an outbox store: one SQLite file {@code outbox.db} (plus its
 * {@code -wal}/{@code -shm} while open) in the store directory.
 *
 * <pre>
 * table records       one row per record not yet delivered (or acked and retained)
 *   seq        INTEGER PRIMARY KEY  the record's seq (rowid), strictly increasing per store
 *   topic      TEXT     not empty
 *   priority   INTEGER  rank: 0 CRITICAL, 1 HIGH, 2 NORMAL, 3 LOW
 *   ts         INTEGER  append time, epoch millis
 *   expires_at INTEGER  epoch millis after which housekeeping removes it; NULL never
 *   headers    BLOB     NULL when empty, else {@link HeaderCodec} encoding
 *   payload    BLOB     the producer's bytes
 *   state      INTEGER  0 pending or leased, 2 acked (kept for retention); 1 (leased) is no
 *                       longer written: leases live in memory ({@link LeaseTable}); stores
 *                       from before have it reset to 0 at open
 *   lease_until INTEGER acked time (state 2), else 0
 *   attempts   INTEGER  earlier leases that ended without an ack (timeout or release)
 *   size       INTEGER  length(payload), written with the row; -1 for rows written by a version
 *                       before the column (added, and filled in, at open: see StoreFile)
 *   index records_drain  (state, priority, seq, size)  lease order (excluded lanes too: scanned
 *                        over, see Deliveries), counts and bytes at open
 *   index records_expiry (expires_at) WHERE expires_at NOT NULL    housekeeping
 *   (records_lane (state, priority, topic, seq) is gone: stores that have it drop it at open,
 *   which is an index, not a format change, so format stays 1)
 * table dead_letters  records the server refused for good
 *   seq PK, topic, priority, ts, headers, payload as above; reason TEXT; attempts; dead_at
 * table meta (key TEXT PRIMARY KEY, value INTEGER)
 *   format 1 | epoch (random, set at creation) | created_at | last_seq (seq high-water mark,
 *   raised in every transaction that deletes records) | clean (1 after a clean close) |
 *   evicted | expired | dead_lettered | purged  (cumulative counters)
 * </pre>
 *
 * Pragmas: page_size 4096 and auto_vacuum INCREMENTAL (set before the first table),
 * journal_mode WAL, synchronous FULL (the WAL is fsync'd at every commit).
 *
 * <p>Schema changes are numbered {@link #MIGRATIONS}, recorded in {@code PRAGMA user_version} and
 * run at open in the opening transaction. {@code meta.format} is the compatibility promise on top:
 * a version that reads format 1 reads every migration of it. A version from before numbered
 * migrations leaves {@code user_version} as it is; the safety net for its rows is the fill-in of
 * sizes at open ({@code StoreFile}).
 */
public final class Schema {
  public static final int FORMAT = 1;
  public static final String DB_FILE = "outbox.db";

  public static final int PENDING = 0;
  public static final int LEASED = 1;
  static final int ACKED = 2;

  /**
   * Drain order, and the payload size alongside it: the recount at open ({@code count(*),
   * sum(size) GROUP BY state, priority}) then reads only this index, not the payload pages (a
   * 1M-record store opens in about 0.1 s instead of 0.5 s). The size is a column, not the
   * expression {@code length(payload)}: SQLite evaluates an index expression on every delete,
   * which made each acked record's delete cost about 0.8 us more (2.3 against 1.5 us).
   */
  static final String DRAIN_INDEX =
      "CREATE INDEX IF NOT EXISTS records_drain ON records (state, priority, seq, size)";

  /** The size column, for stores made before it (rows there get -1 until filled in at open). */
  static final String ADD_SIZE = "ALTER TABLE records ADD COLUMN size INTEGER NOT NULL DEFAULT -1";

  static final String[] CREATE = {
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL,"
        + " priority INTEGER NOT NULL, ts INTEGER NOT NULL, expires_at INTEGER, headers BLOB,"
        + " payload BLOB NOT NULL, state INTEGER NOT NULL DEFAULT 0,"
        + " lease_until INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
        + " size INTEGER NOT NULL DEFAULT -1)",
    DRAIN_INDEX,
    "CREATE INDEX IF NOT EXISTS records_expiry ON records (expires_at) WHERE expires_at IS NOT NULL",
    "CREATE TABLE IF NOT EXISTS dead_letters (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL,"
        + " priority INTEGER NOT NULL, ts INTEGER NOT NULL, headers BLOB, payload BLOB NOT NULL,"
        + " reason TEXT NOT NULL, attempts INTEGER NOT NULL, dead_at INTEGER NOT NULL)",
  };

  /**
   * The replica's tables: each document's merge state (SyncBinary) and view (null: deleted), the
   * number of its last local change, the snapshot generation that last wrote it, and the server's
   * state as last pulled while local writes are on top of it (null: the local state is the
   * server's); and the replica's settings (node id, cursor, last pull, highest HLC issued,
   * generation, the last dead letter looked at).
   */
  static final String[] REPLICA = {
    "CREATE TABLE IF NOT EXISTS replica_docs (collection TEXT NOT NULL, id TEXT NOT NULL, state BLOB NOT NULL,"
        + " view TEXT, change INTEGER NOT NULL, gen INTEGER NOT NULL, server_state BLOB, PRIMARY KEY (collection, id))",
    "CREATE INDEX IF NOT EXISTS replica_docs_change ON replica_docs (change)",
    "CREATE TABLE IF NOT EXISTS replica_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
  };

  /**
   * Documents that left the replica (removed by the server's feed: deleted and collected, or out of
   * the subscription; or dropped at the end of a resync), with the local change number of their
   * leaving: the row in replica_docs is gone, and an app that polls the change feed must still
   * hear of it. Kept for the newest {@code SqliteReplica.KEPT_REMOVALS}; the change number below
   * which they were pruned is replica_meta's {@code removed_floor}.
   */
  static final String[] REPLICA_REMOVED = {
    "CREATE TABLE IF NOT EXISTS replica_removed (collection TEXT NOT NULL, id TEXT NOT NULL, change INTEGER NOT NULL,"
        + " PRIMARY KEY (collection, id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS replica_removed_change ON replica_removed (change)",
  };

  /**
   * The outbox's migrations, in order. Each checks what it changes, so a store from before
   * numbered migrations (user_version 0), whatever its shape, comes out at the newest number.
   */
  public static final Migrations MIGRATIONS = Migrations.of("Outbox",
      new Migrations.Migration(1, "tables meta, records, dead_letters and their indexes", s -> {
        for (String ddl : CREATE) {
          s.execute(ddl);
        }
      }),
      new Migrations.Migration(2, "records.size column and the drain index (state, priority, seq, size)",
          StoreFile::upgradeDrainIndex),
      new Migrations.Migration(3, "drop the records_lane index", StoreFile::dropLaneIndex),
      new Migrations.Migration(4, "replicated documents: replica_docs, replica_meta", s -> {
        for (String ddl : REPLICA) {
          s.execute(ddl);
        }
      }),
      new Migrations.Migration(5, "replica_removed: documents that left the replica, for its change feed", s -> {
        for (String ddl : REPLICA_REMOVED) {
          s.execute(ddl);
        }
      }));


  static final String INSERT =
      "INSERT INTO records (seq, topic, priority, ts, expires_at, headers, payload, size)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

  private Schema() {}
}
