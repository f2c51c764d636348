package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Priority;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.NewRecord;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox WAL stays bounded while the writer commits back to back ({@link Checkpointer} and
 * its finisher on the writer thread), with housekeeping (which also truncates the WAL) too far
 * off to help.
 */
class WalBoundTest {
  private static final int PRODUCERS = 3;
  private static final int BATCHES_PER_PRODUCER = 100;
  private static final int PER_BATCH = 200;
  private static final int PAYLOAD_BYTES = 1024;

  @TempDir Path dir;

  @Test
  void walStaysBoundedWhileProducersNeverPause() throws Exception {
    long written = (long) PRODUCERS * BATCHES_PER_PRODUCER * PER_BATCH * PAYLOAD_BYTES;
    Path wal = dir.resolve(Schema.DB_FILE + "-wal");
    AtomicLong largest = new AtomicLong();
    OutboxConfig config = OutboxConfig.builder().housekeepingInterval(Duration.ofHours(1)).build();
    ExecutorService producers = Executors.newFixedThreadPool(PRODUCERS);
    try (Outbox outbox = Outbox.open(dir, config)) {
      List<Future<?>> done = new ArrayList<>();
      for (int p = 0; p < PRODUCERS; p++) {
        done.add(producers.submit(() -> {
          List<NewRecord> batch = new ArrayList<>(PER_BATCH);
          for (int i = 0; i < PER_BATCH; i++) {
            batch.add(new NewRecord("t", new byte[PAYLOAD_BYTES], Priority.NORMAL));
          }
          for (int b = 0; b < BATCHES_PER_PRODUCER; b++) {
            outbox.appendAll(batch);
            largest.accumulateAndGet(walSize(wal), Math::max);
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(2, TimeUnit.MINUTES);
      }
      assertThat(outbox.stats().pendingTotal()).isEqualTo((long) PRODUCERS * BATCHES_PER_PRODUCER * PER_BATCH);
    } finally {
      producers.shutdownNow();
    }
    // Without the finisher the WAL held about all of it (~75 MB of frames for 61 MB of records).
    assertThat(largest.get()).as("largest WAL while %d bytes of records were appended", written)
        .isLessThan(written / 2);
  }

  private static long walSize(Path wal) {
    try {
      return Files.size(wal);
    } catch (NoSuchFileException e) {
      return 0;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
