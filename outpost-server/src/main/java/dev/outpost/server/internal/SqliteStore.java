package dev.outpost.server.internal;

import dev.outpost.server.StoredRecord;
import dev.outpost.core.sync.Op;
import dev.outpost.sqlite.Migrations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded store: one SQLite file ({@code dataDir/server.db}) in WAL mode with
 * {@code synchronous=FULL}, so a commit is on disk when it returns.
 *
 * <p>Thread-safety and speed: every write goes through one writer thread and connection (a
 * {@link GroupCommitter}): ingest writes that queue up while a commit runs are committed in one
 * transaction (up to {@value #MAX_GROUP_RECORDS} records), which keeps HTTP ingest close to
 * SQLite's raw insert rate. Reads use a second connection. Another process (the CLI) may write
 * to the same file; SQLite's lock and a busy timeout make the writers take turns.
 *
 * <p>Crash behaviour: a crash loses only uncommitted groups, whose callers were never answered;
 * the edge resends them and dedupe on UNIQUE(device_id, epoch, seq) makes that safe. server_seq
 * is the INTEGER PRIMARY KEY: with a single writer it grows in commit order, and rows are never
 * deleted, so it never repeats.
 *
 * <p>Checkpoints: the writer runs with {@code wal_autocheckpoint=0}, so no COMMIT copies the WAL
 * into the database while ingest callers wait; a {@link SqliteCheckpointer} does that in the
 * background once the WAL holds {@value SqliteCheckpointer#DEFAULT_WAL_BYTES} bytes not yet
 * copied, and then has the writer thread copy the rest between two groups
 * ({@link #finishCheckpoint}), so the WAL restarts and stays bounded however busy ingest is.
 */
public final class SqliteStore implements Store, JdbcAccess {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteStore.class);
  static final int MAX_GROUP_RECORDS = 20_000;

  private static final String[] SCHEMA = {
    "CREATE TABLE IF NOT EXISTS messages (server_seq INTEGER PRIMARY KEY, device_id TEXT NOT NULL,"
        + " epoch INTEGER NOT NULL, seq INTEGER NOT NULL, topic TEXT NOT NULL, priority INTEGER NOT NULL,"
        + " ts INTEGER NOT NULL, received_at INTEGER NOT NULL, headers TEXT, payload BLOB NOT NULL,"
        + " UNIQUE (device_id, epoch, seq))",
    "CREATE TABLE IF NOT EXISTS devices (device_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE,"
        + " created_at INTEGER NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0,"
        + " last_seen INTEGER NOT NULL DEFAULT 0, stored INTEGER NOT NULL DEFAULT 0,"
        + " duplicates INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,"
        + " health TEXT, health_at INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  };

  /** Numbered schema changes, recorded in {@code PRAGMA user_version}; a new one goes at the end. */
  static final Migrations MIGRATIONS = ServerSchema.migrations("SQLite server store", SCHEMA, "INTEGER PRIMARY KEY", "BLOB");

  private final Path file;
  private final Connection writer; // used only on the committer's thread
  private final Connection reader; // guarded by readLock
  private final Object readLock = new Object();
  private final GroupCommitter committer;
  private final SqliteCheckpointer checkpointer;

  private final JdbcDeviceStore deviceStore = new JdbcDeviceStore(this);
  private final JdbcDocStore docStore = new JdbcDocStore(this, false);

  private SqliteStore(
      Path file, Connection writer, Connection reader, Duration timeout, long checkpointWalBytes)
      throws SQLException {
    this.file = file;
    this.writer = writer;
    this.reader = reader;
    this.committer = new GroupCommitter("SQLite store " + file, this::writeGroup, MAX_GROUP_RECORDS, timeout);
    try {
      // Last: its ticks may call finishCheckpoint, which needs the committer.
      this.checkpointer = SqliteCheckpointer.start(file, checkpointWalBytes, this::finishCheckpoint);
    } catch (SQLException | RuntimeException e) {
      committer.close();
      throw e;
    }
  }

  /** Opens (creating if needed) {@code dataDir/server.db}. */
  public static SqliteStore open(Path dataDir, Duration timeout) {
    return open(dataDir, timeout, SqliteCheckpointer.DEFAULT_WAL_BYTES);
  }

  /** As {@link #open(Path, Duration)}, checkpointing once the WAL passes {@code checkpointWalBytes}. */
  static SqliteStore open(Path dataDir, Duration timeout, long checkpointWalBytes) {
    Path file = dataDir.resolve("server.db");
    Connection w = null;
    Connection r = null;
    try {
      Files.createDirectories(dataDir);
      w = connect(file);
      try (Statement s = w.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        // Checkpoints run on the checkpointer's thread, not inside this connection's COMMITs.
        s.execute("PRAGMA wal_autocheckpoint=0");
        // When the WAL restarts after a checkpoint, keep the file up to 4x the threshold: in steady
        // ingest the WAL restarts at about 1-2x the threshold, so it is written over in place
        // instead of cut and grown again (growing a file zeroes and allocates new pages: that was
        // ~7% of the process's CPU in a drain). A burst beyond that (a long reader held the WAL
        // back) gives its space back at the next restart.
        s.execute("PRAGMA journal_size_limit=" + checkpointWalBytes * 4);
        // The writer's page cache: 64 MiB instead of SQLite's 2 MiB. A merge of devices' document
        // ops reads and rewrites documents spread over the whole table; with the default cache
        // every group read most of those pages again from the OS (the kernel copying them was a
        // sixth of the writer's CPU in `outpost bench sync`; with this, a twelfth).
        s.execute("PRAGMA cache_size=-65536");
      }
      w.setAutoCommit(false);
      MIGRATIONS.migrate(w, Migrations.Ledger.USER_VERSION, file.toString());
      w.commit();
      r = connect(file);
      return new SqliteStore(file, w, r, timeout, checkpointWalBytes);
    } catch (Exception e) {
      closeQuietly(r);
      closeQuietly(w);
      throw new StoreException("cannot open SQLite store " + file + ": " + e.getMessage(), e);
    }
  }

  static Connection connect(Path file) throws SQLException {
    Connection c = dev.outpost.sqlite.SqliteFiles.open(file);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout=10000");
      s.execute("PRAGMA synchronous=FULL");
    }
    return c;
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

  @Override
  public List<StoredRecord> page(long after, int limit, String device, String topic) {
    return read(c -> JdbcQueries.page(c, after, limit, device, topic));
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
    read(c -> {
      try (Statement s = c.createStatement()) {
        s.executeQuery("SELECT 1").close();
      }
      return null;
    });
  }

  @Override
  public <T> T read(Work<T> work) {
    synchronized (readLock) {
      try {
        return work.run(reader);
      } catch (SQLException e) {
        throw new StoreException("SQLite read failed on " + file + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * The writer's part of a checkpoint, asked for by the checkpointer after its background passes:
   * copies the few frames committed during those passes. It runs between groups, when no write
   * is under way, so it completes (unless a reader still uses older frames), and the next
   * group's transaction then restarts the WAL from its start. Without it, a background PASSIVE
   * checkpoint never catches up with a writer that commits back to back, and the WAL grew
   * without bound during a long drain (880 MB for 3M records).
   */
  private void finishCheckpoint() {
    committer.exclusive(() -> {
      checkpointer.checkpoint(writer);
      return null;
    });
  }

  /** A small write in its own transaction on the writer thread. */
  @Override
  public <T> T write(Work<T> work) {
    return committer.exclusive(() -> {
      try {
        T result = work.run(writer);
        writer.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly();
        throw e;
      }
    });
  }

  /** One transaction for a group of ingest writes (runs on the committer's thread). */
  private List<boolean[]> writeGroup(List<Write> group) throws SQLException {
    List<boolean[]> results = new ArrayList<>(group.size());
    try (SqliteMessageInserts insert = new SqliteMessageInserts(writer);
        PreparedStatement count = writer.prepareStatement(JdbcQueries.countWriteSql("max"));
        PreparedStatement touch = writer.prepareStatement(
            "UPDATE devices SET last_seen = max(last_seen, ?) WHERE device_id = ?")) {
      // Write first, so the transaction holds SQLite's write lock before the inserts read the
      // dedupe index: a transaction that reads first and another process (the CLI) commits
      // before its first write could not write at all (SQLITE_BUSY_SNAPSHOT), where a first
      // write waits its turn (busy_timeout). The counts below set last_seen the same way.
      Write first = group.get(0);
      touch.setLong(1, first.receivedAt());
      touch.setString(2, first.deviceId());
      touch.executeUpdate();
      SyncMerger merger = null;
      List<Op> ops = new ArrayList<>();
      for (Write w : group) {
        boolean[] stored = insert.insert(w);
        int n = 0;
        for (boolean s : stored) {
          n += s ? 1 : 0;
        }
        JdbcQueries.countWrite(count, w, n, stored.length - n);
        results.add(stored);
        merger = JdbcDocStore.opsStoredNow(w, stored, ops, merger);
      }
      if (!ops.isEmpty()) {
        docStore.mergeIn(writer, ops, merger, group.get(0).receivedAt());
      }
      writer.commit();
      if (!ops.isEmpty()) {
        docStore.committed();
      }
      return results;
    } catch (SQLException | RuntimeException e) {
      rollbackQuietly();
      throw e;
    }
  }

  private void rollbackQuietly() {
    try {
      writer.rollback();
    } catch (SQLException e) {
      LOG.warn("SQLite rollback failed on {}: {}", file, e.getMessage());
    }
  }

  static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing after a failure; the first error is the one reported
      }
    }
  }

  /**
   * Stops the checkpointer (it may be waiting for the writer thread), finishes queued writes,
   * then closes the connections; the writer is closed last, and as the last connection to the
   * file SQLite checkpoints the WAL and removes it.
   */
  @Override
  public void close() {
    checkpointer.close();
    committer.close();
    synchronized (readLock) {
      closeQuietly(reader);
    }
    closeQuietly(writer);
  }
}
