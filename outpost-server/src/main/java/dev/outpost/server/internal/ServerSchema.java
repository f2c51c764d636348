package dev.outpost.server.internal;

import dev.outpost.sqlite.Migrations;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The server stores' numbered schema migrations, the same for SQLite and PostgreSQL but for the
 * first tables' types and the conflicts table's key. A new migration goes at the end, here, once.
 */
final class ServerSchema {
  private ServerSchema() {}

  /**
   * @param store what kind of store, for messages
   * @param tables the dialect's CREATE TABLE statements of migration 1
   * @param conflictKey the dialect's auto-numbered key column for the conflicts table
   * @param bytesType the dialect's type of a byte-string column
   */
  static Migrations migrations(String store, String[] tables, String conflictKey, String bytesType) {
    return Migrations.of(store,
        new Migrations.Migration(1, "tables messages, devices, settings", s -> all(s, tables)),
        new Migrations.Migration(2, "replicated documents: tables docs and sync_head", s -> all(s, JdbcDocStore.TABLES)),
        new Migrations.Migration(3, "conflicts of replicated documents", s -> s.execute(JdbcDocStore.conflictsTable(conflictKey))),
        new Migrations.Migration(4, "tombstone compaction: docs.changed_at and sync_head.compacted",
            s -> all(s, JdbcDocStore.COMPACTION)),
        new Migrations.Migration(5, "device labels: devices.labels", s -> s.execute("ALTER TABLE devices ADD COLUMN labels TEXT")),
        new Migrations.Migration(6, "docs.state in the compact binary form (SyncBinary)",
            s -> JdbcDocStore.binaryStates(s, bytesType)));
  }

  private static void all(Statement s, String[] ddl) throws SQLException {
    for (String d : ddl) {
      s.execute(d);
    }
  }
}
