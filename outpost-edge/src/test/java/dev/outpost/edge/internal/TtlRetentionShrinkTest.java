package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Priority;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TtlRetentionShrinkTest {
  @TempDir Path dir;
  final TestClock clock = new TestClock();

  @Test
  void expiredRecordsAreRemovedByHousekeepingAndCounted() {
    OutboxConfig config = OutboxConfig.builder().clock(clock).ttl(Priority.LOW, Duration.ofMinutes(10)).build();
    try (Outbox outbox = Outbox.open(dir, config)) {
      outbox.append("t", new byte[5], Priority.LOW);
      outbox.append("t", new byte[5], Priority.NORMAL);
      outbox.appendAll(List.of(new NewRecord("t", new byte[5], Priority.CRITICAL, Map.of(), Duration.ofMinutes(1))));
      clock.advance(Duration.ofMinutes(2));
      outbox.housekeep();
      assertThat(outbox.stats().expired()).isEqualTo(1);
      assertThat(outbox.stats().pendingCount()).containsEntry(Priority.CRITICAL, 0L);
      clock.advance(Duration.ofMinutes(9));
      outbox.housekeep();
      assertThat(outbox.stats().expired()).isEqualTo(2);
      assertThat(outbox.lease(LeaseRequest.of(10)).seqs()).containsExactly(2L);
    }
    try (Outbox outbox = Outbox.open(dir, config)) {
      assertThat(outbox.stats().expired()).isEqualTo(2);
    }
  }

  @Test
  void ackedRecordsAreKeptForTheRetentionThenDeleted() {
    OutboxConfig config = OutboxConfig.builder().clock(clock).ackedRetention(Duration.ofHours(1)).build();
    try (Outbox outbox = Outbox.open(dir, config)) {
      for (int i = 0; i < 3; i++) {
        outbox.append("t", new byte[5], Priority.NORMAL);
      }
      outbox.ack(outbox.lease(LeaseRequest.of(2)).seqs());
      assertThat(outbox.stats().pendingTotal()).isEqualTo(1);
      assertThat(rows()).isEqualTo(3);
      clock.advance(Duration.ofMinutes(61));
      outbox.housekeep();
      assertThat(rows()).isEqualTo(1);
      assertThat(outbox.lease(LeaseRequest.of(10)).seqs()).containsExactly(3L);
    }
  }

  private long rows() {
    try (var c = StoreFile.connect(StoreFile.dbPath(dir)); var s = c.createStatement();
        var rs = s.executeQuery("SELECT count(*) FROM records")) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aDrainedOutboxShrinksOnDisk() throws IOException {
    long full;
    long drained;
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      List<NewRecord> batch = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        batch.add(new NewRecord("t", new byte[2000], Priority.NORMAL));
      }
      for (int i = 0; i < 20; i++) {
        outbox.appendAll(batch);
      }
      outbox.housekeep();
      full = diskBytes();
      for (int i = 0; i < 20; i++) {
        Lease lease = outbox.lease(LeaseRequest.of(1000));
        outbox.ack(lease.seqs());
      }
      assertThat(outbox.stats().pendingTotal()).isZero();
      outbox.housekeep();
      drained = diskBytes();
      System.out.printf("outbox on disk: %d bytes with 10000 x 2 KB pending, %d bytes drained%n", full, drained);
      assertThat(full).isGreaterThan(20_000_000);
      assertThat(drained).isLessThan(full / 20);
      assertThat(outbox.stats().bytesUsed()).isLessThan(200_000);
    }
  }

  private long diskBytes() throws IOException {
    long n = 0;
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        n += Files.size(p);
      }
    }
    return n;
  }
}
