package dev.outpost.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.sqlite.Migrations.Ledger;
import dev.outpost.sqlite.Migrations.Migration;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Numbered migrations on real SQLite files, with both ledgers. */
class MigrationsTest {
  @TempDir Path dir;
  private final List<Integer> ran = new CopyOnWriteArrayList<>();

  private Migrations three(boolean thirdFails) {
    return Migrations.of("test store",
        new Migration(1, "table a", s -> {
          ran.add(1);
          s.execute("CREATE TABLE IF NOT EXISTS a (x INTEGER)");
        }),
        new Migration(2, "column a.y", s -> {
          ran.add(2);
          s.execute("ALTER TABLE a ADD COLUMN y INTEGER");
        }),
        new Migration(3, "table b", s -> {
          ran.add(3);
          s.execute("CREATE TABLE b (z INTEGER)");
          if (thirdFails) {
            throw new SQLException("disk on fire");
          }
        }));
  }

  private Connection open() throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("t.db"));
    c.setAutoCommit(false);
    return c;
  }

  private static int userVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void migrationsMustBeNumberedOneTwoThreeInOrder() {
    assertThatThrownBy(() -> Migrations.of("x", new Migration(2, "two", s -> {})))
        .hasMessageContaining("x migration 0 has number 2, expected 1");
  }

  @Test
  void aNewStoreGetsEveryMigrationAndAnOlderOneOnlyTheLaterOnes() throws Exception {
    Migrations firstOnly = Migrations.of("test store", new Migration(1, "table a", s -> {
      ran.add(1);
      s.execute("CREATE TABLE IF NOT EXISTS a (x INTEGER)");
    }));
    try (Connection c = open()) {
      assertThat(firstOnly.migrate(c, Ledger.USER_VERSION, "t.db")).isZero();
      c.commit();
      assertThat(userVersion(c)).isEqualTo(1);
    }
    ran.clear();
    try (Connection c = open()) {
      assertThat(three(false).migrate(c, Ledger.USER_VERSION, "t.db")).isEqualTo(1);
      c.commit();
      assertThat(ran).containsExactly(2, 3);
      assertThat(userVersion(c)).isEqualTo(3);
    }
    ran.clear();
    try (Connection c = open()) {
      assertThat(three(false).migrate(c, Ledger.USER_VERSION, "t.db")).isEqualTo(3);
      assertThat(ran).as("nothing to do").isEmpty();
    }
  }

  @Test
  void aFailedMigrationRolledBackLeavesTheNumberAndTheSchemaAsTheyWere() throws Exception {
    try (Connection c = open()) {
      assertThatThrownBy(() -> three(true).migrate(c, Ledger.USER_VERSION, "t.db")).hasMessage("disk on fire");
      c.rollback();
      assertThat(userVersion(c)).isZero();
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM sqlite_master WHERE type = 'table'")) {
        rs.next();
        assertThat(rs.getInt(1)).as("tables").isZero();
      }
    }
  }

  @Test
  void aStoreFromANewerVersionIsRefusedWithBothNumbersAndNotChanged() throws Exception {
    try (Connection c = open()) {
      three(false).migrate(c, Ledger.TABLE, "t.db");
      c.commit();
      try (Statement s = c.createStatement()) {
        s.execute("UPDATE schema_version SET version = 7");
      }
      c.commit();
      ran.clear();
      assertThatThrownBy(() -> three(false).migrate(c, Ledger.TABLE, "t.db"))
          .hasMessageContaining("test store t.db has schema version 7")
          .hasMessageContaining("knows versions up to 3");
      assertThat(ran).isEmpty();
    }
  }
}
