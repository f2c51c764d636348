package dev.outpost.edge.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's one write connection and its prepared statements, able to recover after a failed
 * transaction: {@link #rollBack} drops the cached statements (sqlite-jdbc closes one whose step
 * failed), runs ROLLBACK (an error there is expected when SQLite already rolled back by itself,
 * e.g. after SQLITE_FULL), then checks the connection is really out of
 * the transaction (BEGIN IMMEDIATE + ROLLBACK); if not, it closes the connection and opens a new
 * one with the same pragmas, re-preparing statements lazily (counted, logged once each time).
 *
 * <p>Not thread-safe: used under the writer's lock ({@code CommitLoop}'s {@code SingleWriter}). Durability: a reopen loses
 * nothing committed; the failed transaction was never acknowledged.
 */
final class WriteConnection {
  private static final Logger log = LoggerFactory.getLogger(WriteConnection.class);

  /** Opens a fresh write connection with the store's pragmas. */
  @FunctionalInterface
  interface Opener {
    Connection open() throws SQLException;
  }

  private final Opener opener;
  private final String store;
  private final Map<String, PreparedStatement> statements = new HashMap<>();
  private Connection connection;
  private boolean broken;
  private int reopened;
  /** The synchronous level this connection runs at: FULL as opened, NORMAL for redoable commits. */
  private boolean fullSync = true;

  WriteConnection(Connection connection, Opener opener, String store) {
    this.connection = connection;
    this.opener = opener;
    this.store = store;
  }

  Connection connection() throws SQLException {
    if (broken) {
      reopen();
    }
    return connection;
  }

  /** The statement cache, for the life of this connection. */
  Map<String, PreparedStatement> statements() {
    return statements;
  }

  /** How many times the connection was reopened after a failed transaction. */
  int reopened() {
    return reopened;
  }

  /** BEGIN, COMMIT, ROLLBACK and other fixed statements, prepared once and reused. */
  void exec(String sql) throws SQLException {
    PreparedStatement p = statements.get(sql);
    if (p == null) {
      p = connection().prepareStatement(sql);
      statements.put(sql, p);
    }
    p.execute();
  }

  /**
   * Sets {@code PRAGMA synchronous} for the next transactions (outside a transaction): FULL
   * fsyncs the WAL at every COMMIT; NORMAL leaves the WAL to the next checkpoint or FULL commit,
   * so a power cut (not a process crash) may take back the last commits, never corrupt the file.
   */
  void synchronous(boolean full) throws SQLException {
    if (full != fullSync) {
      exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
      fullSync = full;
    }
  }

  /** True while commits fsync the WAL (synchronous=FULL). */
  boolean fullSync() {
    return fullSync;
  }

  /** Rolls the failed transaction back; reopens the connection if it is still inside one. */
  void rollBack(Exception cause) {
    // sqlite-jdbc closes a prepared statement whose step failed (SQLITE_FULL, IOERR): a cached
    // COMMIT would then fail forever with "statement is not executing" and leave the transaction
    // open. Drop the whole cache; statements are prepared again on first use.
    closeStatements();
    try (Statement s = connection().createStatement()) {
      s.execute("ROLLBACK");
    } catch (SQLException e) {
      // "no transaction is active" when SQLite rolled back by itself (SQLITE_FULL, IOERR)
      log.debug("Outbox {}: ROLLBACK after a failed transaction: {}", store, e.getMessage());
    }
    try (Statement s = connection().createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      s.execute("ROLLBACK");
    } catch (SQLException e) {
      cause.addSuppressed(e);
      broken = true;
      log.error("Outbox {}: the write connection is stuck after a failed transaction ({}); reopening it",
          store, e.getMessage());
      try {
        reopen();
      } catch (SQLException again) {
        cause.addSuppressed(again);
        log.error("Outbox {}: cannot reopen the write connection yet, will retry at the next write: {}",
            store, again.getMessage());
      }
    }
  }

  /** Runs {@code PRAGMA wal_checkpoint(mode)}; true if it completed. Never throws. */
  boolean checkpoint(String mode) {
    try (Statement s = connection().createStatement();
        ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
      return rs.next() && rs.getInt(1) == 0;
    } catch (SQLException e) {
      log.debug("Outbox {}: WAL checkpoint ({}) failed: {}", store, mode, e.toString());
      return false;
    }
  }

  private void closeStatements() {
    for (PreparedStatement p : statements.values()) {
      StoreFile.closeQuietly(p);
    }
    statements.clear();
  }

  private void reopen() throws SQLException {
    closeStatements();
    StoreFile.closeQuietly(connection);
    broken = true;
    connection = opener.open();
    fullSync = true; // the store's pragmas
    broken = false;
    reopened++;
    log.warn("Outbox {}: write connection reopened (reopen #{} since open)", store, reopened);
  }

  void close() {
    StoreFile.closeQuietly(connection);
  }
}
