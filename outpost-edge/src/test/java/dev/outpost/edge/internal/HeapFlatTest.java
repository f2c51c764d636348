package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Priority;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lease, stats and housekeeping cost the same heap with 10k or 300k records pending. */
class HeapFlatTest {
  @TempDir Path dir;

  @Test
  void heapDoesNotGrowWithTheBacklog() {
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      fillTo(outbox, 10_000);
      long small = heapWhileWorking(outbox);
      fillTo(outbox, 300_000);
      long large = heapWhileWorking(outbox);
      System.out.printf("heap after GC while leasing: %d KiB at 10k pending, %d KiB at 300k pending%n",
          small >> 10, large >> 10);
      assertThat(outbox.stats().pendingTotal()).isEqualTo(300_000);
      assertThat(large - small).as("heap growth from 10k to 300k pending (300k x 200 B = 60 MB on disk)")
          .isLessThan(8L << 20);
    }
  }

  static void fillTo(Outbox outbox, long target) {
    List<NewRecord> batch = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      batch.add(new NewRecord("t" + (i % 8), new byte[200], Priority.values()[i % 4]));
    }
    while (outbox.stats().pendingTotal() < target) {
      outbox.appendAll(batch);
    }
  }

  static long heapWhileWorking(Outbox outbox) {
    long min = Long.MAX_VALUE;
    for (int round = 0; round < 5; round++) {
      for (int i = 0; i < 10; i++) {
        Lease lease = outbox.lease(LeaseRequest.of(500));
        outbox.stats();
        outbox.release(lease.seqs());
      }
      outbox.housekeep();
      min = Math.min(min, usedAfterGc());
    }
    return min;
  }

  static long usedAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
