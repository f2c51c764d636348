package dev.outpost.server.internal;

import dev.outpost.core.Message;
import dev.outpost.server.DeviceInfo;
import dev.outpost.server.StoredRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded store: one SQLite file ({@code dataDir/server.db}) in WAL mode with
 * {@code synchronous=FULL}, so a commit is on disk when it returns.
 *
 * <p>Thread-safety and speed: every write goes through one writer thread. Ingest writes that
 * queue up while a commit is running are group-committed in one transaction (up to {@value
 * #MAX_GROUP_RECORDS} records), which is what keeps HTTP ingest close to SQLite's raw insert
 * rate. Callers block until their group's commit returns. Reads use a second connection.
 *
 * <p>Crash behaviour: a crash loses only uncommitted groups, whose callers were never answered;
 * the edge resends them and dedupe on UNIQUE(device_id, epoch, seq) makes that safe. If a group
 * fails, it is rolled back and its writes are retried one by one, so one bad write cannot fail
 * its neighbours. server_seq is the INTEGER PRIMARY KEY: with a single writer it grows in commit
 * order and rows are never deleted, so it never repeats.
 */
public final class SqliteStore implements Store {
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

  private final Path file;
  private final Connection writer;
  private final Connection reader;
  private final Object readLock = new Object();
  private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final Duration timeout;
  private final Thread thread;
  private volatile boolean closed;

  private sealed interface Task permits IngestTask, OtherTask {}

  private record IngestTask(Write write, CompletableFuture<boolean[]> done) implements Task {}

  private record OtherTask(Work<?> work, CompletableFuture<Object> done) implements Task {}

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private SqliteStore(Path file, Connection writer, Connection reader, Duration timeout) {
    this.file = file;
    this.writer = writer;
    this.reader = reader;
    this.timeout = timeout;
    this.thread = Thread.ofPlatform().name("outpost-sqlite-writer").daemon(true).unstarted(this::writeLoop);
  }

  /** Opens (creating if needed) {@code dataDir/server.db}. */
  public static SqliteStore open(Path dataDir, Duration timeout) {
    Path file = dataDir.resolve("server.db");
    Connection w = null;
    try {
      Files.createDirectories(dataDir);
      w = connect(file);
      try (Statement s = w.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        for (String ddl : SCHEMA) {
          s.execute(ddl);
        }
      }
      w.setAutoCommit(false);
      Connection r = connect(file);
      SqliteStore store = new SqliteStore(file, w, r, timeout);
      store.thread.start();
      return store;
    } catch (Exception e) {
      closeQuietly(w);
      throw new StoreException("cannot open SQLite store " + file + ": " + e.getMessage(), e);
    }
  }

  private static Connection connect(Path file) throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout=10000");
      s.execute("PRAGMA synchronous=FULL");
    }
    return c;
  }

  @Override
  public boolean[] ingest(Write write) {
    IngestTask task = new IngestTask(write, new CompletableFuture<>());
    submit(task);
    return await(task.done());
  }

  @Override
  public int pendingRecords() {
    return pending.get();
  }

  @Override
  public List<StoredRecord> page(long after, int limit, String device, String topic) {
    return read(c -> JdbcQueries.page(c, after, limit, device, topic));
  }

  @Override
  public void addDevice(String deviceId, String tokenHash, long now) {
    write(c -> {
      JdbcQueries.addDevice(c, deviceId, tokenHash, now);
      return null;
    });
  }

  @Override
  public boolean revokeDevice(String deviceId, long now) {
    return write(c -> JdbcQueries.revokeDevice(c, deviceId, now));
  }

  @Override
  public Optional<String> deviceForToken(String tokenHash) {
    return read(c -> JdbcQueries.deviceForToken(c, tokenHash));
  }

  @Override
  public List<DeviceInfo> devices() {
    return read(JdbcQueries::devices);
  }

  @Override
  public void putHealth(String deviceId, String json, long now) {
    write(c -> {
      JdbcQueries.putHealth(c, deviceId, json, now);
      return null;
    });
  }

  @Override
  public Optional<String> adminTokenHash() {
    return read(c -> JdbcQueries.setting(c, "admin_token_hash"));
  }

  @Override
  public String initAdminTokenHash(String hash) {
    return write(c -> {
      JdbcQueries.insertSettingIfAbsent(c, "admin_token_hash", hash);
      return JdbcQueries.setting(c, "admin_token_hash").orElseThrow();
    });
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

  private <T> T read(Work<T> work) {
    synchronized (readLock) {
      try {
        return work.run(reader);
      } catch (SQLException e) {
        throw new StoreException("SQLite read failed on " + file + ": " + e.getMessage(), e);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private <T> T write(Work<T> work) {
    OtherTask task = new OtherTask(work, new CompletableFuture<>());
    submit(task);
    return (T) await(task.done());
  }

  private void submit(Task task) {
    if (closed) {
      throw new StoreException("SQLite store " + file + " is closed");
    }
    if (task instanceof IngestTask it) {
      pending.addAndGet(it.write().messages().size());
    }
    queue.add(task);
  }

  private <T> T await(CompletableFuture<T> f) {
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting for the SQLite commit", e);
    } catch (TimeoutException e) {
      throw new StoreException("SQLite commit took longer than " + timeout + " (" + pending.get()
          + " records pending)", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new StoreException("SQLite write failed: " + e.getCause().getMessage(), e.getCause());
    }
  }

  private void writeLoop() {
    List<IngestTask> group = new ArrayList<>();
    while (true) {
      Task first;
      try {
        first = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        first = null;
      }
      if (first == null) {
        if (closed) {
          return;
        }
        continue;
      }
      group.clear();
      try {
        if (first instanceof OtherTask other) {
          runOther(other);
          continue;
        }
        IngestTask it = (IngestTask) first;
        group.add(it);
        int records = it.write().messages().size();
        // Only this thread takes from the queue, so what peek saw is what poll returns.
        while (records < MAX_GROUP_RECORDS && queue.peek() instanceof IngestTask next) {
          queue.poll();
          group.add(next);
          records += next.write().messages().size();
        }
        commitGroup(group);
      } catch (Throwable t) {
        // Keep the single writer alive whatever happens; the callers of this round get the error.
        LOG.error("SQLite writer failed on {}; failing {} waiting writes", file, Math.max(1, group.size()), t);
        rollbackQuietly();
        StoreException e = new StoreException("SQLite writer failed on " + file + ": " + t, t);
        if (first instanceof OtherTask other) {
          other.done().completeExceptionally(e);
        }
        for (IngestTask task : group) {
          if (!task.done().isDone()) {
            finish(task, null, e);
          }
        }
      }
    }
  }

  private void runOther(OtherTask task) {
    try {
      Object result = task.work().run(writer);
      writer.commit();
      task.done().complete(result);
    } catch (SQLException | RuntimeException e) {
      rollbackQuietly();
      task.done().completeExceptionally(
          e instanceof RuntimeException re ? re : new StoreException("SQLite write failed on " + file + ": " + e.getMessage(), e));
    }
  }

  private void commitGroup(List<IngestTask> group) {
    List<boolean[]> results = new ArrayList<>(group.size());
    try (PreparedStatement insert = writer.prepareStatement(
            "INSERT INTO messages (" + JdbcQueries.INSERT_MESSAGE_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?)"
                + " ON CONFLICT (device_id, epoch, seq) DO NOTHING");
        PreparedStatement count = writer.prepareStatement(JdbcQueries.countWriteSql("max"))) {
      for (IngestTask t : group) {
        results.add(insertAll(insert, count, t.write()));
      }
      writer.commit();
    } catch (SQLException | RuntimeException e) {
      rollbackQuietly();
      if (group.size() > 1) {
        LOG.warn("group commit of {} writes failed ({}); retrying them one by one", group.size(), e.getMessage());
        for (IngestTask t : group) {
          commitGroup(List.of(t));
        }
      } else {
        finish(group.get(0), null, new StoreException("SQLite commit failed on " + file + ": " + e.getMessage(), e));
      }
      return;
    }
    for (int i = 0; i < group.size(); i++) {
      finish(group.get(i), results.get(i), null);
    }
  }

  private void finish(IngestTask t, boolean[] result, RuntimeException error) {
    pending.addAndGet(-t.write().messages().size());
    if (error != null) {
      t.done().completeExceptionally(error);
    } else {
      t.done().complete(result);
    }
  }

  private static boolean[] insertAll(PreparedStatement insert, PreparedStatement count, Write w)
      throws SQLException {
    List<Message> ms = w.messages();
    boolean[] stored = new boolean[ms.size()];
    int n = 0;
    if (!ms.isEmpty()) {
      for (Message m : ms) {
        insert.setString(1, w.deviceId());
        insert.setLong(2, w.epoch());
        insert.setLong(3, m.seq());
        insert.setString(4, m.topic());
        insert.setInt(5, m.priority().rank());
        insert.setLong(6, m.timestampMillis());
        insert.setLong(7, w.receivedAt());
        insert.setString(8, JdbcQueries.headersJson(m.headers()));
        insert.setBytes(9, m.payload());
        insert.addBatch();
      }
      int[] changes = insert.executeBatch();
      for (int i = 0; i < changes.length; i++) {
        stored[i] = changes[i] > 0;
        n += stored[i] ? 1 : 0;
      }
    }
    JdbcQueries.countWrite(count, w, n, ms.size() - n);
    return stored;
  }

  private void rollbackQuietly() {
    try {
      writer.rollback();
    } catch (SQLException e) {
      LOG.warn("SQLite rollback failed on {}: {}", file, e.getMessage());
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing after a failure; the first error is the one reported
      }
    }
  }

  /** Finishes queued writes, then closes both connections. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      thread.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // A write that slipped in after the writer stopped is failed, never left hanging.
    for (Task t; (t = queue.poll()) != null; ) {
      StoreException gone = new StoreException("SQLite store " + file + " closed before the write ran");
      switch (t) {
        case IngestTask it -> finish(it, null, gone);
        case OtherTask ot -> ot.done().completeExceptionally(gone);
      }
    }
    synchronized (readLock) {
      closeQuietly(reader);
    }
    closeQuietly(writer);
  }
}
