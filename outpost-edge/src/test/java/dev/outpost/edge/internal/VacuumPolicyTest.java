package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Priority;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.StoreMaintenance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Housekeeping keeps free pages mid-drain (a vacuum would move the unsent records at the end of the
 * file into the holes at the front) and gives them back once the live data is small next to them.
 * The disk-full path (any free page) is covered by {@link FullFilesystemTest}.
 */
class VacuumPolicyTest {
  @TempDir Path dir;

  @Test
  void freePagesAreKeptMidDrainAndReturnedOnceTheLiveDataIsSmall() throws SQLException {
    // no timer runs: each housekeeping run is the test's own
    OutboxConfig config = OutboxConfig.builder().housekeepingInterval(Duration.ofHours(1)).build();
    try (Outbox outbox = Outbox.open(dir, config)) {
      NewRecord record = new NewRecord("t", new byte[300], Priority.NORMAL);
      for (int i = 0; i < 20; i++) {
        outbox.appendAll(Collections.nCopies(1000, record));
      }
      outbox.housekeep();
      StoreMaintenance.Space full = space();

      drain(outbox, 10_000);
      outbox.housekeep();
      StoreMaintenance.Space half = space();
      System.out.printf("half drained: %d live, %d free bytes, file %d (full %d)%n",
          half.liveBytes(), half.reclaimableBytes(), half.fileBytes(), full.fileBytes());
      assertThat(half.reclaimableBytes() / half.pageSize()).as("free pages kept")
          .isGreaterThanOrEqualTo(Housekeeper.VACUUM_FREE_PAGES)
          .isLessThan(Housekeeper.VACUUM_FREE_TO_USED * half.liveBytes() / half.pageSize());
      assertThat(half.fileBytes()).as("file not shrunk").isEqualTo(full.fileBytes());

      // new appends reuse the free pages: the file does not grow
      outbox.appendAll(Collections.nCopies(1000, record));
      outbox.housekeep();
      assertThat(space().fileBytes()).isEqualTo(full.fileBytes());

      drain(outbox, 11_000);
      assertThat(outbox.stats().pendingTotal()).isZero();
      outbox.housekeep();
      StoreMaintenance.Space drained = space();
      System.out.printf("drained: file %d bytes, %d free%n", drained.fileBytes(), drained.reclaimableBytes());
      assertThat(drained.reclaimableBytes()).isZero();
      assertThat(drained.fileBytes()).isLessThan(full.fileBytes() / 20);
    }
  }

  @Test
  void theRuleNeedsEnoughFreePagesAndFourTimesThePagesInUseUnlessTheDiskIsFull() {
    assertThat(Housekeeper.worthVacuuming(255, 0, false, false)).isFalse();
    assertThat(Housekeeper.worthVacuuming(256, 64, false, false)).isTrue();
    assertThat(Housekeeper.worthVacuuming(256, 65, false, false)).isFalse();
    assertThat(Housekeeper.worthVacuuming(10_000, 2_499, false, false)).isTrue();
    assertThat(Housekeeper.worthVacuuming(10_000, 2_501, false, false)).isFalse();
    assertThat(Housekeeper.worthVacuuming(1, 1_000_000, true, true)).isTrue();
    assertThat(Housekeeper.worthVacuuming(0, 0, true, false)).isFalse();
  }

  @Test
  void whileADrainIsAboutToDeleteThemTheLivePagesAreMovedOnlyIfTheyFitOneSlice() {
    long slice = Housekeeper.VACUUM_PAGES_PER_RUN;
    assertThat(Housekeeper.worthVacuuming(100_000, slice, false, true)).isTrue();
    assertThat(Housekeeper.worthVacuuming(100_000, slice + 1, false, true)).isFalse();
    assertThat(Housekeeper.worthVacuuming(100_000, slice + 1, false, false)).isTrue();
    assertThat(Housekeeper.worthVacuuming(100_000, 25_000, true, true)).isTrue();
  }

  @Test
  void aFastDrainKeepsItsFreePagesUntilItStops() throws SQLException {
    OutboxConfig config = OutboxConfig.builder().housekeepingInterval(Duration.ofHours(1)).build();
    try (Outbox outbox = Outbox.open(dir, config)) {
      // ~3 KiB records, about one per page: 13,000 of them; after acking 10,500 the 2,500 left
      // use more pages than one vacuum slice, and the free pages are over 4x those
      NewRecord record = new NewRecord("t", new byte[3000], Priority.NORMAL);
      for (int i = 0; i < 13; i++) {
        outbox.appendAll(Collections.nCopies(1000, record));
      }
      drain(outbox, 10_500);
      StoreMaintenance.Space before = space();
      assertThat(before.reclaimableBytes() / before.pageSize())
          .isGreaterThan(Housekeeper.VACUUM_FREE_TO_USED * before.liveBytes() / before.pageSize());
      assertThat(before.liveBytes() / before.pageSize()).isGreaterThan(Housekeeper.VACUUM_PAGES_PER_RUN);

      // 10,500 acks since open, 2,500 live: at that pace the drain deletes them well within
      // four housekeeping intervals, so the unsent records are not moved
      outbox.housekeep();
      assertThat(space().fileBytes()).as("file kept mid-drain").isEqualTo(before.fileBytes());

      // no ack since: the drain has stopped, and the space comes back (a slice per run, while
      // the free pages are over 4x those in use)
      outbox.housekeep();
      assertThat(space().fileBytes())
          .isLessThanOrEqualTo(before.fileBytes() - Housekeeper.VACUUM_PAGES_PER_RUN * before.pageSize());
      assertThat(outbox.stats().pendingTotal()).isEqualTo(2_500);
    }
  }

  @Test
  void closingGivesTheSpaceBackWithoutFirstWritingItAllToTheWal() throws Exception {
    OutboxConfig config = OutboxConfig.builder().housekeepingInterval(Duration.ofHours(1)).build();
    Outbox outbox = Outbox.open(dir, config);
    NewRecord record = new NewRecord("t", new byte[2000], Priority.NORMAL);
    for (int i = 0; i < 40; i++) {
      outbox.appendAll(Collections.nCopies(1000, record));
    }
    drain(outbox, 40_000);
    long freed = space().reclaimableBytes();
    assertThat(freed).isGreaterThan(64L << 20);

    // close vacuums every free page; a sampler watches the WAL meanwhile (one transaction for it
    // all wrote ~as much WAL as it freed: 78 MB here)
    Path wal = dir.resolve(Schema.DB_FILE + "-wal");
    AtomicBoolean closed = new AtomicBoolean();
    AtomicLong largest = new AtomicLong();
    Thread sampler = new Thread(() -> {
      while (!closed.get()) {
        try {
          largest.accumulateAndGet(Files.size(wal), Math::max);
        } catch (IOException gone) {
          // no WAL at this instant
        }
        Thread.onSpinWait();
      }
    });
    sampler.start();
    try {
      outbox.close();
    } finally {
      closed.set(true);
      sampler.join();
    }
    assertThat(largest.get()).as("largest WAL while closing freed %d bytes", freed).isLessThan(freed / 8);
    assertThat(space().reclaimableBytes()).isZero();
  }

  private static void drain(Outbox outbox, int records) {
    for (int left = records; left > 0; left -= 1000) {
      outbox.ack(outbox.lease(LeaseRequest.of(Math.min(1000, left))).seqs());
    }
  }

  private StoreMaintenance.Space space() throws SQLException {
    try (StoreMaintenance m = StoreMaintenance.open(dir)) {
      return m.space();
    }
  }
}
