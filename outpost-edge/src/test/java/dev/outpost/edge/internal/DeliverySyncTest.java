package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Priority;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.OutboxConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which commits fsync: appends and user actions (dead-letter retry and purge) must be on disk
 * when they return; delivery bookkeeping (lease, ack, reject, release) only brings records back
 * for a re-send if a power cut takes it, so it commits without an fsync of its own. Whatever
 * the mix, a process crash loses nothing committed (the OS holds the WAL); see
 * {@code CrashRecoveryTest} for SIGKILL.
 */
class DeliverySyncTest {
  @TempDir Path dir;

  @Test
  void deliveriesCommitWithoutFsyncAppendsAndUserActionsWithIt() {
    try (SqliteOutbox outbox = SqliteOutbox.open(dir, OutboxConfig.defaults(), CommitLoop.CommitFault.NONE)) {
      outbox.append("t", bytes("a"), Priority.NORMAL);
      assertThat(outbox.lastCommitFsynced()).isTrue();

      Lease lease = outbox.lease(LeaseRequest.of(10));
      assertThat(outbox.lastCommitFsynced()).isFalse();
      outbox.release(lease.seqs());
      assertThat(outbox.lastCommitFsynced()).isFalse();

      lease = outbox.lease(LeaseRequest.of(10));
      outbox.reject(Map.of(lease.seqs().get(0), "bad"));
      assertThat(outbox.lastCommitFsynced()).isFalse();

      outbox.append("t", bytes("b"), Priority.NORMAL);
      assertThat(outbox.lastCommitFsynced()).as("an append after a delivery fsyncs again").isTrue();

      outbox.retryDeadLetters(List.of(lease.seqs().get(0)));
      assertThat(outbox.lastCommitFsynced()).as("a user's dead-letter retry must stick").isTrue();

      lease = outbox.lease(LeaseRequest.of(10));
      outbox.ack(lease.seqs());
      assertThat(outbox.lastCommitFsynced()).isFalse();
      assertThat(outbox.stats().pendingTotal()).isZero();
    }
  }

  @Test
  void ackedRecordsStayGoneAfterAReopen() {
    try (SqliteOutbox outbox = SqliteOutbox.open(dir, OutboxConfig.defaults(), CommitLoop.CommitFault.NONE)) {
      for (int i = 0; i < 100; i++) {
        outbox.append("t", bytes("r" + i), Priority.NORMAL);
      }
      outbox.ack(outbox.lease(LeaseRequest.of(60)).seqs());
    }
    try (SqliteOutbox outbox = SqliteOutbox.open(dir, OutboxConfig.defaults(), CommitLoop.CommitFault.NONE)) {
      assertThat(outbox.stats().pendingTotal()).isEqualTo(40);
      assertThat(outbox.lease(LeaseRequest.of(100)).seqs().get(0)).isEqualTo(61L);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
