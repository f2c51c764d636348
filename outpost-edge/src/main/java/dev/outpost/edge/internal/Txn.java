package dev.outpost.edge.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One write transaction: the connection, the time it started, the change it makes to the
 * counts ({@link Tally}), applied only after it commits, and undo actions for in-memory state
 * changed inside it (the {@link LeaseTable}), run if it rolls back. Used by one thread at a time, under
 * the writer's lock ({@code CommitLoop}'s {@code SingleWriter}).
 */
final class Txn {
  final Connection connection;
  final long now;
  final Tally delta = new Tally();
  /** Set when rows leave {@code records}/{@code dead_letters}: the seq high-water mark is saved. */
  boolean deletedRows;

  private final Map<String, PreparedStatement> statements;
  private List<Runnable> undo;

  Txn(Connection connection, long now, Map<String, PreparedStatement> statements) {
    this.connection = connection;
    this.now = now;
    this.statements = statements;
  }

  /** A prepared statement cached for the life of the connection. */
  PreparedStatement prepare(String sql) throws SQLException {
    PreparedStatement p = statements.get(sql);
    if (p == null) {
      p = connection.prepareStatement(sql);
      statements.put(sql, p);
    }
    return p;
  }

  /** Registers an in-memory change to take back if this transaction rolls back. */
  void onRollback(Runnable action) {
    if (undo == null) {
      undo = new ArrayList<>();
    }
    undo.add(action);
  }

  /** Takes back the in-memory changes registered so far, newest first. */
  void undoInMemory() {
    if (undo != null) {
      for (int i = undo.size() - 1; i >= 0; i--) {
        undo.get(i).run();
      }
      undo = null;
    }
  }

  /** Work that runs inside a write transaction, under the commit lock. */
  @FunctionalInterface
  interface Work<T> {
    T run(Txn txn) throws SQLException;
  }
}
