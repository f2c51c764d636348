package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.Priority;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxStorageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
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

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
