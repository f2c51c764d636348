package dev.outpost.bench;

import dev.outpost.core.Priority;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Heap used (after GC) while leasing, reading stats and housekeeping, at growing backlogs
 * (e.g. 10k and 1M pending 200-byte records): it should stay flat, since none of these loads
 * the table.
 */
public final class HeapProbe {
  /** Heap after GC, in bytes, at a backlog. */
  public record Sample(long pending, long heapBytes, long diskBytes) {}

  private HeapProbe() {}

  public static List<Sample> run(Path dir, List<Integer> backlogs, PrintStream out) {
    List<Sample> samples = new ArrayList<>();
    AppendBenchmark.fresh(dir);
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.builder().budgetBytes(16L << 30).build())) {
      List<NewRecord> batch = new ArrayList<>();
      for (int i = 0; i < 8192; i++) {
        batch.add(new NewRecord("t" + (i % 8), new byte[200], Priority.values()[i % 4]));
      }
      for (int target : backlogs) {
        while (outbox.stats().pendingTotal() < target) {
          int n = (int) Math.min(batch.size(), target - outbox.stats().pendingTotal());
          outbox.appendAll(batch.subList(0, n));
        }
        long min = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
          for (int i = 0; i < 10; i++) {
            Lease lease = outbox.lease(LeaseRequest.of(1000));
            outbox.stats();
            outbox.release(lease.seqs());
          }
          outbox.housekeep();
          System.gc();
          min = Math.min(min, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        samples.add(new Sample(outbox.stats().pendingTotal(), min, outbox.stats().bytesUsed()));
      }
    } finally {
      AppendBenchmark.delete(dir);
    }
    out.printf(Locale.ROOT, "%12s %14s %14s%n", "pending", "heap after GC", "db bytes used");
    for (Sample s : samples) {
      out.printf(Locale.ROOT, "%12d %11d KiB %11d KiB%n", s.pending(), s.heapBytes() >> 10, s.diskBytes() >> 10);
    }
    return samples;
  }
}
