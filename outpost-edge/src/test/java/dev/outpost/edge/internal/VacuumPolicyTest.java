package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Priority;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
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
    assertThat(Housekeeper.worthVacuuming(255, 0, false)).isFalse();
    assertThat(Housekeeper.worthVacuuming(256, 64, false)).isTrue();
    assertThat(Housekeeper.worthVacuuming(256, 65, false)).isFalse();
    assertThat(Housekeeper.worthVacuuming(10_000, 2_499, false)).isTrue();
    assertThat(Housekeeper.worthVacuuming(10_000, 2_501, false)).isFalse();
    assertThat(Housekeeper.worthVacuuming(1, 1_000_000, true)).isTrue();
    assertThat(Housekeeper.worthVacuuming(0, 0, true)).isFalse();
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
