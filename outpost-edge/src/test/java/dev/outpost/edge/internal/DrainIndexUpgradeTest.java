package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Priority;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxStats;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A store whose drain index predates the record sizes in it is re-indexed once at open. */
class DrainIndexUpgradeTest {
  @TempDir Path dir;

  @Test
  void anOldDrainIndexIsRebuiltWithSizesAndTheCountsStayExact() throws Exception {
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      for (int i = 0; i < 50; i++) {
        outbox.append("t" + (i % 3), new byte[10 + i], Priority.ofRank(i % 4));
      }
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Schema.DB_FILE));
        Statement s = c.createStatement()) {
      s.execute("DROP INDEX records_drain");
      s.execute("CREATE INDEX records_drain ON records (state, priority, seq)"); // the old shape
    }
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      OutboxStats stats = outbox.stats();
      assertThat(stats.pendingTotal()).isEqualTo(50);
      long bytes = 0;
      for (int i = 0; i < 50; i++) {
        bytes += 10 + i;
      }
      assertThat(stats.pendingBytes().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(bytes);
      assertThat(outbox.lease(dev.outpost.edge.LeaseRequest.of(100)).size()).isEqualTo(50);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Schema.DB_FILE));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT sql FROM sqlite_master WHERE name = 'records_drain'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).contains("length(payload)");
    }
  }
}
