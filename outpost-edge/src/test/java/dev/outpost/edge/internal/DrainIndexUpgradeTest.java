package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.Priority;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stores made before the {@code size} column (or written since by such a version) are upgraded
 * at open: the column is added, the drain index rebuilt, the sizes filled in, the counts exact.
 */
class DrainIndexUpgradeTest {
  @TempDir Path dir;

  private static final int RECORDS = 50;

  private void appendRecords() {
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      for (int i = 0; i < RECORDS; i++) {
        outbox.append("t" + (i % 3), new byte[10 + i], Priority.ofRank(i % 4));
      }
    }
  }

  private Connection connect() throws Exception {
    return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Schema.DB_FILE));
  }

  private void assertUpgradedWithExactCounts() throws Exception {
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      OutboxStats stats = outbox.stats();
      assertThat(stats.pendingTotal()).isEqualTo(RECORDS);
      long bytes = 0;
      for (int i = 0; i < RECORDS; i++) {
        bytes += 10 + i;
      }
      assertThat(stats.pendingBytes().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(bytes);
      assertThat(outbox.lease(LeaseRequest.of(100)).size()).isEqualTo(RECORDS);
    }
    try (Connection c = connect(); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT sql FROM sqlite_master WHERE name = 'records_drain'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).contains("(state, priority, seq, size)");
      }
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM records WHERE size <> length(payload)")) {
        rs.next();
        assertThat(rs.getLong(1)).isZero();
      }
    }
  }

  @Test
  void aStoreWithoutTheSizeColumnGetsItAndTheCountsStayExact() throws Exception {
    appendRecords();
    try (Connection c = connect(); Statement s = c.createStatement()) {
      // the shape of a store from before the column (and before numbered migrations): the size
      // was an index expression
      s.execute("PRAGMA user_version = 0");
      s.execute("DROP INDEX records_drain");
      s.execute("ALTER TABLE records DROP COLUMN size");
      s.execute("CREATE INDEX records_drain ON records (state, priority, seq, length(payload))");
    }
    assertUpgradedWithExactCounts();
  }

  @Test
  void aStoreWithTheOldestDrainIndexIsRebuilt() throws Exception {
    appendRecords();
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version = 0");
      s.execute("DROP INDEX records_drain");
      s.execute("ALTER TABLE records DROP COLUMN size");
      s.execute("CREATE INDEX records_drain ON records (state, priority, seq)");
    }
    assertUpgradedWithExactCounts();
  }

  @Test
  void rowsAnOlderVersionWroteWithoutASizeAreFilledInAtOpen() throws Exception {
    appendRecords();
    try (Connection c = connect(); Statement s = c.createStatement()) {
      // what a version before the column writes into an upgraded store: the column's default
      s.execute("UPDATE records SET size = -1 WHERE seq % 2 = 0");
    }
    assertUpgradedWithExactCounts();
  }

  @Test
  void aStoreGetsTheNewestSchemaVersionAndOneFromANewerVersionIsRefusedUnchanged() throws Exception {
    appendRecords();
    try (Connection c = connect(); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(Schema.MIGRATIONS.latest());
      }
      s.execute("PRAGMA user_version = " + (Schema.MIGRATIONS.latest() + 1));
    }
    assertThatThrownBy(() -> Outbox.open(dir, OutboxConfig.defaults()))
        .hasMessageContaining("has schema version " + (Schema.MIGRATIONS.latest() + 1))
        .hasMessageContaining("written by a newer version");
    try (Connection c = connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM records")) {
      rs.next();
      assertThat(rs.getLong(1)).as("records kept").isEqualTo(RECORDS);
    }
    assertThat(Files.list(dir).filter(p -> p.getFileName().toString().contains("corrupt")).count())
        .as("not moved aside as corrupt").isZero();
  }
}
