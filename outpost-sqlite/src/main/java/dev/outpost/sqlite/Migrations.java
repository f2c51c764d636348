package dev.outpost.sqlite;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Numbered schema migrations: a store records the number of the last migration it has had, and
 * opening it runs every later one, in order, in the caller's transaction (so a crash leaves the
 * store at the number before, with none of the later changes). A store whose number is above
 * the newest this version knows was written by a newer version and is refused, naming both
 * numbers; nothing is changed.
 *
 * <p>Migration 1 of each store creates its tables with {@code IF NOT EXISTS} and later ones check
 * what they change, so a store from before numbered migrations (number 0) is brought to the
 * newest number without harm whatever shape it was in.
 *
 * <p>Where the number lives ({@link Ledger}): SQLite stores keep it in {@code PRAGMA
 * user_version} (in the file's header, written in the same transaction); PostgreSQL, which has
 * no such header, in a one-row table {@code schema_version}. Immutable; thread-safe.
 */
public final class Migrations {
  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  /** One change to a store's schema (or data), run inside the opening transaction. */
  @FunctionalInterface
  public interface Change {
    void apply(Statement s) throws SQLException;
  }

  /**
   * A numbered migration.
   *
   * @param version its number: 1 for the first, then one more for each
   * @param what what it changes, for the log
   */
  public record Migration(int version, String what, Change change) {
    public Migration {
      Objects.requireNonNull(what, "what");
      Objects.requireNonNull(change, "change");
    }
  }

  /** Where a store keeps the number of its last migration. */
  public enum Ledger {
    /** SQLite's {@code PRAGMA user_version}, in the database header. */
    USER_VERSION,
    /** A table {@code schema_version (version INTEGER NOT NULL)} with one row (PostgreSQL). */
    TABLE
  }

  private final String store;
  private final List<Migration> migrations;

  private Migrations(String store, List<Migration> migrations) {
    this.store = store;
    this.migrations = migrations;
  }

  /**
   * The migrations of one kind of store, numbered 1, 2, 3 … in this order.
   *
   * @param store what kind of store, for messages ("outbox", "SQLite server store")
   */
  public static Migrations of(String store, Migration... migrations) {
    for (int i = 0; i < migrations.length; i++) {
      if (migrations[i].version() != i + 1) {
        throw new IllegalArgumentException(store + " migration " + i + " has number " + migrations[i].version()
            + ", expected " + (i + 1) + ": number them 1, 2, 3 … in order");
      }
    }
    return new Migrations(store, List.of(migrations));
  }

  /** The first {@code version} migrations only: a store as an older release left it (upgrade tests). */
  public Migrations upTo(int version) {
    if (version < 0 || version > latest()) {
      throw new IllegalArgumentException(store + " has migrations 1.." + latest() + ", not " + version);
    }
    return new Migrations(store, migrations.subList(0, version));
  }

  /** The number of the newest migration: what a store has after {@link #migrate}. */
  public int latest() {
    return migrations.size();
  }

  /**
   * Runs every migration above the store's number, in order, and records the newest number; call
   * it inside a write transaction (SQLite: {@code BEGIN IMMEDIATE}; PostgreSQL: one that holds a
   * lock other servers starting at once also take). Returns the number the store had.
   *
   * @param where the store's file or URL, for messages
   * @throws SQLException if the store was written by a newer version, or a migration failed
   *     (the caller rolls back: the store keeps its number and its schema)
   */
  public int migrate(Connection c, Ledger ledger, String where) throws SQLException {
    try (Statement s = c.createStatement()) {
      int found = read(s, ledger);
      if (found > latest()) {
        throw new SQLException(store + " " + where + " has schema version " + found + ", but this version of"
            + " Outpost knows versions up to " + latest() + ": it was written by a newer version; open it with"
            + " that version (nothing was changed)");
      }
      for (Migration m : migrations.subList(found, migrations.size())) {
        long started = System.nanoTime();
        m.change().apply(s);
        long ms = (System.nanoTime() - started) / 1_000_000;
        if (found > 0) { // a new store gets them all at once: only an upgrade is news
          LOG.info("{} {}: migration {} ({}) in {} ms", store, where, m.version(), m.what(), ms);
        }
      }
      if (found != latest()) {
        write(s, ledger, latest());
      }
      return found;
    }
  }

  private static int read(Statement s, Ledger ledger) throws SQLException {
    if (ledger == Ledger.USER_VERSION) {
      try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
        return rs.next() ? rs.getInt(1) : 0;
      }
    }
    s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    try (ResultSet rs = s.executeQuery("SELECT max(version) FROM schema_version")) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }

  private static void write(Statement s, Ledger ledger, int version) throws SQLException {
    if (ledger == Ledger.USER_VERSION) {
      s.execute("PRAGMA user_version = " + version);
    } else {
      s.execute("DELETE FROM schema_version");
      s.execute("INSERT INTO schema_version (version) VALUES (" + version + ")");
    }
  }
}
