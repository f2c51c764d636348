package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Priority;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorruptionTest {
  @TempDir Path dir;

  private long fill(int records) {
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      List<NewRecord> batch = new ArrayList<>();
      for (int i = 0; i < records; i++) {
        batch.add(new NewRecord("t", new byte[300], Priority.NORMAL));
      }
      outbox.appendAll(batch);
      return outbox.epoch();
    }
  }

  @Test
  void aGarbageFileIsMovedAsideNeverDeletedAndAFreshEpochStarts() throws IOException {
    long oldEpoch = fill(100);
    byte[] garbage = new byte[64 * 1024];
    new Random(42).nextBytes(garbage);
    Files.write(StoreFile.dbPath(dir), garbage);
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      assertThat(outbox.epoch()).isNotEqualTo(oldEpoch);
      assertThat(outbox.stats().corruptStoresMovedAside()).isEqualTo(1);
      assertThat(outbox.stats().pendingTotal()).isZero();
      assertThat(outbox.append("t", new byte[1], Priority.LOW)).isEqualTo(1);
    }
    List<Path> aside = corruptFiles();
    assertThat(aside).hasSize(1);
    assertThat(Files.readAllBytes(aside.get(0))).isEqualTo(garbage);
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      assertThat(outbox.stats().corruptStoresMovedAside()).as("still visible after restart").isEqualTo(1);
    }
  }

  @Test
  void interiorCorruptionFoundByTheIntegrityCheckAfterAnUncleanStop() throws Exception {
    long oldEpoch = fill(3000);
    try (Connection c = StoreFile.connect(StoreFile.dbPath(dir)); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE meta SET value = 0 WHERE key = 'clean'");
      s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    try (RandomAccessFile f = new RandomAccessFile(StoreFile.dbPath(dir).toFile(), "rw")) {
      byte[] garbage = new byte[4096 * 4];
      new Random(7).nextBytes(garbage);
      f.seek(4096L * 20);
      f.write(garbage);
    }
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      assertThat(outbox.epoch()).isNotEqualTo(oldEpoch);
      assertThat(outbox.stats().corruptStoresMovedAside()).isEqualTo(1);
    }
    assertThat(corruptFiles()).hasSize(1);
  }

  private List<Path> corruptFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().matches("outbox-corrupt-.*\\.db")).toList();
    }
  }

}
