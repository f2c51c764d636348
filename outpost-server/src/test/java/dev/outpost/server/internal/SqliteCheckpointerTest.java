package dev.outpost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.server.StoredRecord;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server store's background WAL checkpoints, on a real SQLite file. */
class SqliteCheckpointerTest {
  private static final long THRESHOLD = 256 << 10;
  private static final int WRITES = 20;
  private static final int PER_WRITE = 1000;
  private static final int PAYLOAD_BYTES = 1024;
  /** One write's WAL frames: 1000 rows of ~1.1 KiB plus index pages come to ~1.3 MiB. */
  private static final long WRITE_WAL_BYTES = 2L << 20;
  private static final long MARGIN = 512 << 10;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dir;

  /** Record seq s has a 1 KiB payload that starts with s, so a read-back can check it. */
  static Message message(long seq) {
    byte[] payload = new byte[PAYLOAD_BYTES];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) (seq * 31 + i);
    }
    ByteBuffer.wrap(payload).putLong(seq);
    return new Message(seq, "t", Priority.NORMAL, 1_700_000_000_000L + seq, Map.of(), payload);
  }

  static Store.Write write(long firstSeq, int count) {
    List<Message> ms = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ms.add(message(firstSeq + i));
    }
    return new Store.Write("dev-1", 1, ms, 0, 1);
  }

  private Path wal() {
    return dir.resolve("server.db-wal");
  }

  private boolean checkpointThreadAlive() {
    String name = SqliteCheckpointer.THREAD_PREFIX + dir.resolve("server.db");
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().equals(name));
  }

  @Test
  void walIsCheckpointedInTheBackgroundAndEveryRecordSurvivesReopen() throws Exception {
    long bound = THRESHOLD + WRITE_WAL_BYTES + MARGIN;
    AtomicLong nextSeq = new AtomicLong(1);
    try (SqliteStore store = SqliteStore.open(dir, TIMEOUT, THRESHOLD)) {
      store.devices().addDevice("dev-1", "hash-1", 1);
      for (int i = 0; i < WRITES; i++) {
        int n = i;
        assertThat(store.ingest(write(nextSeq.getAndAdd(PER_WRITE), PER_WRITE))).doesNotContain(false);
        // Nobody but the checkpointer checkpoints (the writer has wal_autocheckpoint=0). After a
        // complete checkpoint, SQLite restarts the WAL (and cuts the file) at the next commit:
        // small writes give it that commit. Without the checkpointer the WAL would hold all
        // ~25 MiB written.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
          assertThat(store.ingest(write(nextSeq.getAndIncrement(), 1))).containsExactly(true);
          assertThat(Files.size(wal())).as("WAL bytes after write %d", n).isLessThan(bound);
        });
      }
    }
    long expected = nextSeq.get() - 1;
    assertThat(expected).isGreaterThanOrEqualTo((long) WRITES * (PER_WRITE + 1));

    try (SqliteStore reopened = SqliteStore.open(dir, TIMEOUT)) {
      long after = 0;
      long seen = 0;
      for (int pages = 0; pages < 1000; pages++) {
        List<StoredRecord> page = reopened.page(after, 5000, null, null);
        if (page.isEmpty()) {
          break;
        }
        for (StoredRecord r : page) {
          seen++;
          assertThat(r.message().seq()).isEqualTo(seen);
          assertThat(r.message().payload()).isEqualTo(message(seen).payload());
          after = r.serverSeq();
        }
      }
      assertThat(seen).isEqualTo(expected);
    }
  }

  @Test
  void walStaysBoundedWhileTheWriterNeverPauses() throws Exception {
    // Three writes always queued, so the writer commits group after group with no pause in
    // between: a background checkpoint alone never catches up then, and the WAL held all
    // ~90 MiB written. With the writer finishing each checkpoint, it restarts again and again.
    int writes = 300;
    int perWrite = 200;
    long written = (long) writes * perWrite * PAYLOAD_BYTES;
    long largest = 0;
    try (SqliteStore store = SqliteStore.open(dir, TIMEOUT, THRESHOLD)) {
      store.devices().addDevice("dev-1", "hash-1", 1);
      Deque<CompletableFuture<boolean[]>> queued = new ArrayDeque<>();
      for (int i = 0; i < writes; i++) {
        queued.add(store.submit(write(1L + (long) i * perWrite, perWrite), null));
        if (queued.size() == 3) {
          assertThat(store.await(queued.poll())).doesNotContain(false);
        }
        largest = Math.max(largest, Files.size(wal()));
      }
      while (!queued.isEmpty()) {
        assertThat(store.await(queued.poll())).doesNotContain(false);
      }
      assertThat(store.page(0, 1, null, null)).hasSize(1);
    }
    assertThat(largest).as("largest WAL while %d bytes of records were written", written)
        .isLessThan(written / 3);
  }

  @Test
  void closeStopsTheCheckpointThread() {
    SqliteStore store = SqliteStore.open(dir, TIMEOUT, THRESHOLD);
    assertThat(checkpointThreadAlive()).isTrue();
    store.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> !checkpointThreadAlive());
  }

  @Test
  void aFailedOpenClosesWhatItOpened() {
    // The threshold is checked when the checkpointer starts, after both connections are open.
    assertThatThrownBy(() -> SqliteStore.open(dir, TIMEOUT, 0))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("thresholdBytes <= 0");
    assertThat(checkpointThreadAlive()).isFalse();
    // The last connection to close removes the WAL, so a leaked connection would leave it.
    assertThat(wal()).doesNotExist();
  }
}
