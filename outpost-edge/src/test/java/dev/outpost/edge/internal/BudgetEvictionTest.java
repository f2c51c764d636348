package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxFullException;
import dev.outpost.edge.OutboxStats;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BudgetEvictionTest {
  static final long MIB = 1 << 20;
  @TempDir Path dir;

  Outbox open(boolean evictLow) {
    return Outbox.open(dir, OutboxConfig.builder().budgetBytes(MIB).evictLowWhenFull(evictLow).build());
  }

  /**
   * Appends 1000-byte records until refused (bounded), 100 at a time through appendAsync so they
   * share commits; returns how many were accepted.
   */
  static int fill(Outbox outbox, Priority p, int max) {
    int accepted = 0;
    while (accepted < max) {
      List<CompletableFuture<Long>> chunk = new ArrayList<>();
      for (int i = 0; i < Math.min(100, max - accepted); i++) {
        chunk.add(outbox.appendAsync("t", new byte[1000], p, Map.of()));
      }
      boolean refused = false;
      for (CompletableFuture<Long> f : chunk) {
        try {
          f.join();
          accepted++;
        } catch (CompletionException e) {
          assertThat(e).hasCauseInstanceOf(OutboxFullException.class);
          refused = true;
        }
      }
      if (refused) {
        return accepted;
      }
    }
    return accepted;
  }

  @Test
  void normalIsRefusedAtTheHighWatermarkAndCriticalUsesTheReserveUntilFull() {
    try (Outbox outbox = open(false)) {
      int normal = fill(outbox, Priority.NORMAL, 5000);
      assertThat(normal).isBetween(600, 1000);
      OutboxStats s = outbox.stats();
      assertThat(s.bytesUsed()).isGreaterThan((long) (0.85 * MIB)).isLessThanOrEqualTo(MIB);
      assertThat(s.fullnessWarning()).isEqualTo(90);
      long lastSeq = s.lastSeq();
      assertThatThrownBy(() -> outbox.append("t", new byte[1000], Priority.NORMAL))
          .isInstanceOf(OutboxFullException.class)
          .hasMessageContaining("outbox full: ")
          .hasMessageContaining("of 1048576 bytes")
          .hasMessageContaining("NORMAL " + normal)
          .hasMessageContaining("high watermark");
      int critical = fill(outbox, Priority.CRITICAL, 5000);
      assertThat(critical).isPositive().isLessThan(normal / 5);
      assertThatThrownBy(() -> outbox.append("t", new byte[1000], Priority.HIGH))
          .isInstanceOf(OutboxFullException.class)
          .hasMessageContaining("CRITICAL " + critical)
          .hasMessageContaining("never evicted");
      assertThat(outbox.stats().lastSeq()).isEqualTo(lastSeq + critical);
      assertThat(outbox.stats().evicted()).isZero();
    }
  }

  @Test
  void lowEvictsTheOldestLowToMakeRoomAndCountsIt() {
    try (Outbox outbox = open(true)) {
      int accepted = fill(outbox, Priority.LOW, 3000);
      assertThat(accepted).isEqualTo(3000);
      OutboxStats s = outbox.stats();
      assertThat(s.evicted()).isPositive();
      assertThat(s.pendingCount().get(Priority.LOW) + s.evicted()).isEqualTo(3000);
      assertThat(s.bytesUsed()).isLessThanOrEqualTo(MIB);
      List<Message> left = outbox.lease(LeaseRequest.of(5000)).messages();
      assertThat(left.get(0).seq()).isEqualTo(s.evicted() + 1);
      assertThat(left.get(left.size() - 1).seq()).isEqualTo(3000);
      // a CRITICAL append also makes room by evicting LOW, never the other way round
      outbox.release(left.stream().map(Message::seq).toList());
      fill(outbox, Priority.CRITICAL, 200);
      assertThat(outbox.stats().pendingCount().get(Priority.CRITICAL)).isEqualTo(200);
    }
    try (Outbox outbox = open(true)) {
      assertThat(outbox.stats().evicted()).as("counter survives restart").isPositive();
    }
  }

  @Test
  void lowIsRefusedWhenEvictionIsOff() {
    try (Outbox outbox = open(false)) {
      int low = fill(outbox, Priority.LOW, 5000);
      assertThat(low).isLessThan(5000);
      assertThatThrownBy(() -> outbox.append("t", new byte[1000], Priority.LOW))
          .isInstanceOf(OutboxFullException.class)
          .hasMessageContaining("LOW eviction is off");
      assertThat(outbox.stats().evicted()).isZero();
    }
  }

  @Test
  void warningLevelRisesAtEightyAndNinetyPercentAndFallsWhenDrained() {
    try (Outbox outbox = open(false)) {
      int seen80 = 0;
      for (int i = 0; i < 100 && outbox.stats().fullnessWarning() < 90; i++) {
        outbox.appendAll(java.util.Collections.nCopies(10, new NewRecord("t", new byte[1000], Priority.HIGH)));
        if (outbox.stats().fullnessWarning() == 80) {
          seen80++;
        }
      }
      assertThat(seen80).isPositive();
      assertThat(outbox.stats().fullnessWarning()).isEqualTo(90);
      for (int i = 0; i < 10; i++) {
        var lease = outbox.lease(LeaseRequest.of(500));
        outbox.ack(lease.seqs());
      }
      outbox.housekeep();
      assertThat(outbox.stats().fullnessWarning()).isZero();
    }
  }
}
