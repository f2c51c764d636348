package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.outpost.core.Priority;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxDiskFullException;
import dev.outpost.edge.OutboxStorageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Breaks a commit half-way: the rows of the group are written to the transaction, then the
 * COMMIT fails with an I/O error at the JDBC edge (the {@link CommitLoop.CommitFault} seam).
 */
class CommitFaultTest {
  @TempDir Path dir;

  @Test
  void aFailedCommitFailsItsAppendsLosesNothingAcknowledgedAndReusesNoSeq() {
    AtomicBoolean broken = new AtomicBoolean();
    CommitLoop.CommitFault fault = records -> {
      if (broken.get() && records > 0) {
        throw new SQLException("[SQLITE_IOERR] disk I/O error (injected)", "58030", 10);
      }
    };
    List<Long> acknowledged = new ArrayList<>();
    long failedAfter;
    try (Outbox outbox = SqliteOutbox.open(dir, OutboxConfig.defaults(), fault)) {
      for (int i = 0; i < 20; i++) {
        acknowledged.add(outbox.append("t", bytes("ok" + i), Priority.HIGH));
      }
      outbox.lease(LeaseRequest.of(5));
      broken.set(true);
      List<CompletableFuture<Long>> doomed = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        doomed.add(outbox.appendAsync("t", bytes("lost" + i), Priority.HIGH, Map.of()));
      }
      for (CompletableFuture<Long> f : doomed) {
        assertThatThrownBy(f::join).isInstanceOf(CompletionException.class)
            .hasCauseInstanceOf(OutboxStorageException.class)
            .hasMessageContaining("commit failed, nothing of it was acknowledged")
            .hasMessageContaining("disk I/O error");
      }
      assertThatThrownBy(() -> outbox.append("t", bytes("lost"), Priority.HIGH))
          .isInstanceOf(OutboxStorageException.class);
      assertThat(outbox.stats().pendingTotal()).as("counts unchanged by the failed commits").isEqualTo(15);
      failedAfter = outbox.stats().lastSeq();
      broken.set(false);
      long next = outbox.append("t", bytes("after"), Priority.HIGH);
      assertThat(next).as("seqs of the failed commits are skipped, not reused").isGreaterThan(20 + 50);
      acknowledged.add(next);
    }
    assertThat(failedAfter).isEqualTo(20);
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      List<Long> seqs = outbox.lease(LeaseRequest.of(1000)).seqs();
      assertThat(seqs).containsExactlyElementsOf(acknowledged);
      assertThat(outbox.stats().corruptStoresMovedAside()).isZero();
    }
  }

  /**
   * One COMMIT fails with SQLITE_FULL (error code 13): the append is refused as disk full (not a
   * generic storage error), the writer recovers on the same open outbox, a later append commits,
   * and no seq is reused or acknowledged twice.
   */
  @Test
  void aCommitFailingWithSqliteFullRefusesAsDiskFullAndTheNextCommitSucceedsWithoutReopening() {
    AtomicInteger failures = new AtomicInteger();
    CommitLoop.CommitFault fault = records -> {
      if (failures.getAndDecrement() > 0) {
        throw new SQLException("[SQLITE_FULL] database or disk is full (injected)", null, 13);
      }
    };
    List<Long> acknowledged = new ArrayList<>();
    // no scheduled housekeeping: each injected failure hits the commit the test makes next
    OutboxConfig config = OutboxConfig.builder().housekeepingInterval(Duration.ofHours(1)).build();
    try (SqliteOutbox outbox = SqliteOutbox.open(dir, config, fault)) {
      for (int i = 0; i < 10; i++) {
        acknowledged.add(outbox.append("t", bytes("ok" + i), Priority.HIGH));
      }
      failures.set(1);
      assertThatThrownBy(() -> outbox.append("t", bytes("refused"), Priority.HIGH))
          .isInstanceOf(OutboxDiskFullException.class)
          .hasMessageStartingWith("outbox full: disk full at " + dir.resolve(Schema.DB_FILE))
          .hasMessageContaining("SQLITE_FULL");
      assertThat(outbox.stats().pendingTotal()).as("counts unchanged by the failed commit").isEqualTo(10);
      assertThat(outbox.stats().lastSeq()).as("the highest committed seq").isEqualTo(10);
      assertThat(outbox.stats().diskFullRefusals()).isEqualTo(1);
      assertThat(outbox.stats().lastStorageError()).startsWith("disk full at").contains("SQLITE_FULL");
      List<Long> after = new ArrayList<>();
      await("appends accepted again on the same open outbox").atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(50)).until(() -> {
            try {
              after.add(outbox.append("t", bytes("after"), Priority.HIGH));
              return true;
            } catch (OutboxDiskFullException stillFull) {
              return false;
            }
          });
      assertThat(after).as("the failed commit's seq is skipped, not reused").containsExactly(12L);
      acknowledged.addAll(after);
      assertThat(outbox.stats().pendingTotal()).isEqualTo(11);
      // a lease and an ack whose first COMMIT fails with SQLITE_FULL are tried once more and commit
      failures.set(1);
      List<Long> leased = outbox.lease(LeaseRequest.of(3)).seqs();
      assertThat(leased).containsExactlyElementsOf(acknowledged.subList(0, 3));
      assertThat(failures.get()).as("the lease's first commit failed").isNegative();
      failures.set(1);
      outbox.ack(leased);
      assertThat(failures.get()).as("the ack's first commit failed").isNegative();
      acknowledged.removeAll(leased);
      assertThat(outbox.stats().pendingTotal()).isEqualTo(8);
      assertThat(outbox.stats().inFlight()).isZero();
    }
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      assertThat(outbox.lease(LeaseRequest.of(1000)).seqs()).containsExactlyElementsOf(acknowledged);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
