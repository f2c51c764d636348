package dev.outpost.edge.internal;

import static dev.outpost.edge.internal.DurabilityIdentityTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Priority;
import dev.outpost.edge.DeadLetter;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeadLetterTest {
  @TempDir Path dir;
  final TestClock clock = new TestClock();

  @Test
  void rejectMovesRecordsWithReasonAndAttemptsThenRetryAndPurge() {
    OutboxConfig config = OutboxConfig.builder().clock(clock).build();
    try (Outbox outbox = Outbox.open(dir, config)) {
      for (int i = 1; i <= 4; i++) {
        outbox.append("t", bytes("r" + i), Priority.HIGH, Map.of("n", "" + i));
      }
      outbox.release(outbox.lease(LeaseRequest.of(2)).seqs());
      Lease lease = outbox.lease(LeaseRequest.of(3));
      assertThat(lease.seqs()).containsExactly(1L, 2L, 3L);
      outbox.reject(Map.of(1L, "413 payload too large", 3L, "422 bad schema"));
      outbox.ack(List.of(2L));

      var stats = outbox.stats();
      assertThat(stats.deadLetters()).isEqualTo(2);
      assertThat(stats.deadLettered()).isEqualTo(2);
      assertThat(stats.inFlight()).isZero();
      assertThat(stats.pendingTotal()).isEqualTo(1);

      List<DeadLetter> dead = outbox.deadLetters(0, 10);
      assertThat(dead).extracting(d -> d.message().seq()).containsExactly(1L, 3L);
      assertThat(dead.get(0).reason()).isEqualTo("413 payload too large");
      assertThat(dead.get(0).attempts()).isEqualTo(2);
      assertThat(dead.get(1).attempts()).isEqualTo(1);
      assertThat(dead.get(0).message().headers()).containsEntry("n", "1");
      assertThat(dead.get(0).deadAt()).isEqualTo(clock.instant());
      assertThat(outbox.deadLetters(1, 10)).hasSize(1);

      assertThat(outbox.retryDeadLetters(List.of(1L, 99L))).isEqualTo(1);
      Lease retried = outbox.lease(LeaseRequest.of(10));
      assertThat(retried.seqs()).containsExactly(1L, 4L);
      assertThat(retried.attempts()[0]).isZero();
      assertThat(retried.messages().get(0).payload()).isEqualTo(bytes("r1"));

      assertThat(outbox.purgeDeadLetters(List.of(3L))).isEqualTo(1);
      assertThat(outbox.deadLetters(0, 10)).isEmpty();
      assertThat(outbox.stats().purged()).isEqualTo(1);
      assertThat(outbox.stats().deadLetters()).isZero();
    }
    try (Outbox outbox = Outbox.open(dir, config)) {
      var stats = outbox.stats();
      assertThat(stats.deadLettered()).isEqualTo(2);
      assertThat(stats.purged()).isEqualTo(1);
      assertThat(stats.lastSeq()).isEqualTo(4);
      assertThat(outbox.append("t", bytes("x"), Priority.LOW)).isEqualTo(5);
    }
  }

  @Test
  void rejectingAnUnknownSeqDoesNothing() {
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.builder().clock(clock).build())) {
      outbox.reject(Map.of(42L, "nope"));
      outbox.release(List.of(42L));
      outbox.ack(List.of(42L));
      clock.advance(Duration.ofSeconds(1));
      assertThat(outbox.stats().deadLetters()).isZero();
      assertThat(outbox.stats().deadLettered()).isZero();
    }
  }
}
