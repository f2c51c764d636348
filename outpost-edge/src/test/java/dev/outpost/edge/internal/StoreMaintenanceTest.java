package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxStats;
import dev.outpost.edge.StoreMaintenance;
import dev.outpost.edge.StoreRepair;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreMaintenanceTest {
  @TempDir Path dir;

  private static String payload(long i) {
    return ("record-" + i + "-").repeat(20);
  }

  /** 3000 records (seq 1..3000), the first 5 dead-lettered, seq 6..10 leased when closed. */
  private void fill() {
    try (Outbox o = Outbox.open(dir, OutboxConfig.defaults())) {
      List<NewRecord> batch = new ArrayList<>();
      for (int i = 1; i <= 3000; i++) {
        batch.add(new NewRecord("t" + (i % 3), payload(i).getBytes(StandardCharsets.UTF_8), Priority.values()[i % 4]));
      }
      o.appendAll(batch);
      Map<Long, String> reasons = new HashMap<>();
      for (long s = 1; s <= 5; s++) {
        reasons.put(s, "bad record " + s);
      }
      Lease all = o.lease(LeaseRequest.of(10));
      o.reject(reasons);
      assertThat(all.size()).isEqualTo(10);
    }
  }

  @Test
  void readsStatsRecordsAndDeadLettersWhileTheOutboxIsOpen() throws Exception {
    fill();
    try (Outbox live = Outbox.open(dir, OutboxConfig.defaults());
        StoreMaintenance m = StoreMaintenance.open(dir)) {
      live.append("live", new byte[] {1}, Priority.HIGH);
      OutboxStats s = m.stats(500L << 20, System.currentTimeMillis());
      OutboxStats l = live.stats();
      assertThat(s.pendingCount()).isEqualTo(l.pendingCount());
      assertThat(s.deadLetters()).isEqualTo(5).isEqualTo(l.deadLetters());
      assertThat(s.epoch()).isEqualTo(l.epoch());
      assertThat(s.lastSeq()).isEqualTo(3001);
      List<StoreMaintenance.Row> page = m.records(0, 100, null);
      assertThat(page).hasSize(100);
      assertThat(page.getFirst().seq()).isEqualTo(6);
      assertThat(m.records(page.getLast().seq(), 10, Priority.CRITICAL))
          .allMatch(r -> r.priority() == Priority.CRITICAL);
      assertThat(m.deadLetters(0, 10)).extracting(StoreMaintenance.Row::reason)
          .containsExactly("bad record 1", "bad record 2", "bad record 3", "bad record 4", "bad record 5");
      assertThat(m.integrityProblems(10)).isEmpty();
      assertThat(m.space().liveBytes()).isPositive();
    }
  }

  @Test
  void openingAMissingStoreFailsAndCreatesNothing() {
    assertThatThrownBy(() -> StoreMaintenance.open(dir.resolve("nothing")))
        .hasMessageContaining("no outbox store in");
    assertThat(dir.resolve("nothing")).doesNotExist();
  }

  @Test
  void vacuumReturnsFreePages() throws Exception {
    fill();
    try (Outbox o = Outbox.open(dir, OutboxConfig.defaults())) {
      Lease l = o.lease(LeaseRequest.of(2000));
      o.ack(l.seqs());
    }
    long[] sizes = StoreRepair.vacuum(dir);
    assertThat(sizes[1]).isLessThan(sizes[0]);
    try (StoreMaintenance m = StoreMaintenance.open(dir)) {
      assertThat(m.space().reclaimableBytes()).isZero();
      assertThat(m.integrityProblems(10)).isEmpty();
    }
  }

  @Test
  void salvageCopiesEveryReadableRowKeepsTheEpochAndNeverReusesSeqs() throws Exception {
    fill();
    long epoch;
    try (StoreMaintenance m = StoreMaintenance.open(dir)) {
      epoch = m.meta().get("epoch");
    }
    Path db = dir.resolve("outbox.db");
    long pages = Files.size(db) / 4096;
    try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
      byte[] junk = new byte[4096];
      new Random(42).nextBytes(junk);
      f.seek((pages / 2) * 4096);
      f.write(junk); // one page in the middle of the records table
    }
    try (StoreMaintenance m = StoreMaintenance.open(dir)) {
      assertThat(m.integrityProblems(10)).isNotEmpty();
    }

    List<String> progress = new ArrayList<>();
    StoreRepair.Salvage s = StoreRepair.salvage(dir, Clock.systemUTC(), progress::add);

    assertThat(s.epochKept()).isTrue();
    assertThat(s.epoch()).isEqualTo(epoch);
    assertThat(s.lastSeq()).isEqualTo(3000);
    assertThat(s.deadLetters()).isEqualTo(5);
    // A damaged page loses the rows SQLite can no longer reach through it (a whole subtree when
    // it is an interior page); every other row comes back, and every lost one is counted.
    assertThat(s.records()).as(s.toString()).isGreaterThan(1500).isLessThan(2995);
    assertThat(s.records() + s.unreadable()).as(s.toString()).isEqualTo(2995);
    assertThat(s.movedAside()).exists();
    assertThat(Files.size(s.movedAside())).isEqualTo(pages * 4096);
    assertThat(progress).isNotEmpty();
    try (Outbox o = Outbox.open(dir, OutboxConfig.defaults())) {
      assertThat(o.epoch()).isEqualTo(epoch);
      assertThat(o.stats().corruptStoresMovedAside()).isZero(); // opened as sound, nothing moved
      List<Message> back = o.lease(LeaseRequest.of(10_000)).messages();
      assertThat(back).hasSize((int) s.records());
      for (Message msg : back) {
        assertThat(new String(msg.payload(), StandardCharsets.UTF_8)).isEqualTo(payload(msg.seq()));
      }
      assertThat(o.append("after", new byte[] {1}, Priority.HIGH)).isEqualTo(3001);
    }
  }
}
