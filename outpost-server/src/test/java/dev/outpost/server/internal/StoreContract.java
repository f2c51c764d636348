package dev.outpost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.server.DeviceInfo;
import dev.outpost.server.StoredRecord;
import dev.outpost.server.testing.Batches;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The behaviour every {@link Store} must have; run against SQLite and PostgreSQL. */
abstract class StoreContract {
  Store store;

  /** A fresh, empty store. */
  abstract Store openStore() throws Exception;

  @BeforeEach
  void open() throws Exception {
    store = openStore();
    store.devices().addDevice("dev-1", "hash-1", 1000);
    store.devices().addDevice("dev-2", "hash-2", 1000);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  static Store.Write write(Batch b, long receivedAt) {
    return new Store.Write(b.deviceId(), b.epoch(), b.messages(), 0, receivedAt);
  }

  @Test
  void storesEachRecordOnceAndTellsDuplicates() {
    Batch b = Batches.batch("dev-1", 7, 1, 5);
    assertThat(store.ingest(write(b, 2000))).containsExactly(true, true, true, true, true);
    assertThat(store.ingest(write(b, 3000))).containsExactly(false, false, false, false, false);
    Batch overlap = Batches.batch("dev-1", 7, 4, 4);
    assertThat(store.ingest(write(overlap, 4000))).containsExactly(false, false, true, true);
    List<StoredRecord> all = store.page(0, 100, null, null);
    assertThat(all).extracting(r -> r.message().seq()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
    assertThat(all.get(0).receivedAt()).isEqualTo(2000);
    assertThat(all.get(6).receivedAt()).isEqualTo(4000);
  }

  @Test
  void sameSeqTwiceInOneWriteIsStoredOnceFirstOccurrenceWins() {
    Message m = Batches.message("dev-1", 1, 9);
    Store.Write w = new Store.Write("dev-1", 1, List.of(m, m, Batches.message("dev-1", 1, 10)), 0, 1);
    assertThat(store.ingest(w)).containsExactly(true, false, true);
  }

  /** Large writes (SQLite inserts them in multi-row chunks): stored flags stay exact per record. */
  @Test
  void aLargeWriteWithDuplicatesInAndAcrossChunksTellsExactlyWhatWasStored() {
    java.util.Random random = new java.util.Random(42);
    Set<Long> held = new HashSet<>();
    List<Message> earlier = new ArrayList<>();
    for (long seq = 1; seq <= 400; seq++) {
      if (random.nextInt(5) == 0) {
        earlier.add(Batches.message("dev-1", 3, seq));
        held.add(seq);
      }
    }
    store.ingest(new Store.Write("dev-1", 3, earlier, 0, 1));
    List<Message> ms = new ArrayList<>();
    for (long seq = 1; seq <= 300; seq++) {
      ms.add(Batches.message("dev-1", 3, seq));
      if (random.nextInt(7) == 0) {
        ms.add(Batches.message("dev-1", 3, random.nextInt(400) + 1)); // repeats, in and across chunks
      }
    }
    boolean[] expected = new boolean[ms.size()];
    for (int i = 0; i < ms.size(); i++) {
      expected[i] = held.add(ms.get(i).seq());
    }
    assertThat(store.ingest(new Store.Write("dev-1", 3, ms, 0, 2))).containsExactly(expected);
    assertThat(store.page(0, 1000, "dev-1", null)).hasSize(held.size());
  }

  /**
   * The shape of a drain: the urgent records (every 20th seq) went first; then a lease of the
   * rest, one priority after the other (seqs not sorted across the write), is sent twice, and a
   * batch of another device and one with the stored seqs mixed in follow. SQLite stores chunks
   * proven new without a conflict clause: the flags and the rows must be the same either way.
   */
  @Test
  void aDrainShapedWriteAmongStoredSeqsStoresExactlyTheNewOnes() {
    List<Message> urgent = new ArrayList<>();
    List<Message> rest = new ArrayList<>();
    for (long seq = 1; seq <= 3000; seq++) {
      (seq % 20 == 0 ? urgent : rest).add(Batches.message("dev-1", 5, seq));
    }
    assertThat(store.ingest(new Store.Write("dev-1", 5, urgent, 0, 1))).containsOnly(true);
    List<Message> lease = new ArrayList<>(rest.subList(1500, rest.size()));
    lease.addAll(rest.subList(0, 1500)); // a later priority's seqs first, then an earlier one's
    assertThat(store.ingest(new Store.Write("dev-1", 5, lease, 0, 2))).hasSize(lease.size()).containsOnly(true);
    assertThat(store.ingest(new Store.Write("dev-1", 5, lease, 0, 3))).containsOnly(false);
    assertThat(store.ingest(new Store.Write("dev-2", 5, lease, 0, 4))).containsOnly(true);
    List<Message> mixed = new ArrayList<>();
    for (long seq = 2990; seq <= 3300; seq++) {
      mixed.add(Batches.message("dev-1", 5, seq));
    }
    boolean[] expected = new boolean[mixed.size()];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = mixed.get(i).seq() > 3000;
    }
    assertThat(store.ingest(new Store.Write("dev-1", 5, mixed, 0, 5))).containsExactly(expected);
    List<StoredRecord> dev1 = store.page(0, 10_000, "dev-1", null);
    assertThat(dev1).hasSize(3300);
    assertThat(dev1.stream().map(r -> r.message().seq()).distinct().count()).isEqualTo(3300);
    assertThat(store.page(0, 10_000, "dev-2", null)).hasSize(lease.size());
  }

  @Test
  void dedupeKeyIsDeviceEpochSeq() {
    assertThat(store.ingest(write(Batches.batch("dev-1", 1, 1, 2), 1))).containsOnly(true);
    assertThat(store.ingest(write(Batches.batch("dev-1", 2, 1, 2), 1))).containsOnly(true);
    assertThat(store.ingest(write(Batches.batch("dev-2", 1, 1, 2), 1))).containsOnly(true);
    assertThat(store.page(0, 100, null, null)).hasSize(6);
  }

  @Test
  void recordsComeBackExactlyAsSent() {
    Batch b = Batches.batch("dev-1", -42, 1, 4);
    store.ingest(write(b, 5));
    List<StoredRecord> got = store.page(0, 10, null, null);
    assertThat(got).extracting(StoredRecord::message).containsExactlyElementsOf(b.messages());
    assertThat(got).allSatisfy(r -> {
      assertThat(r.deviceId()).isEqualTo("dev-1");
      assertThat(r.epoch()).isEqualTo(-42);
    });
  }

  @Test
  void emptyWriteOnlyTouchesTheDevice() {
    assertThat(store.ingest(new Store.Write("dev-1", 1, List.of(), 3, 777))).isEmpty();
    DeviceInfo d = device("dev-1");
    assertThat(d.lastSeen()).isEqualTo(777);
    assertThat(d.rejected()).isEqualTo(3);
  }

  @Test
  void pagesInServerOrderWithFilters() {
    store.ingest(write(Batches.batch("dev-1", 1, 1, 6), 1));
    store.ingest(write(Batches.batch("dev-2", 1, 1, 6), 1));
    List<StoredRecord> all = store.page(0, 100, null, null);
    assertThat(all).hasSize(12);
    assertThat(all).extracting(StoredRecord::serverSeq).isSorted().doesNotHaveDuplicates();

    List<StoredRecord> seen = new ArrayList<>();
    long after = 0;
    for (int i = 0; i < 10; i++) {
      List<StoredRecord> page = store.page(after, 5, null, null);
      if (page.isEmpty()) {
        break;
      }
      seen.addAll(page);
      after = page.getLast().serverSeq();
    }
    assertThat(seen).isEqualTo(all);

    assertThat(store.page(0, 100, "dev-2", null)).hasSize(6).allMatch(r -> r.deviceId().equals("dev-2"));
    assertThat(store.page(0, 100, "dev-2", "t/0")).extracting(r -> r.message().seq()).containsExactly(3L, 6L);
    assertThat(store.page(0, 100, null, "t/1")).hasSize(4);
  }

  @Test
  void pagesStopGrowingAtAboutSixteenMebibytes() {
    List<Message> big = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      big.add(new Message(i, "big", dev.outpost.core.Priority.LOW, i, java.util.Map.of(), new byte[1 << 20]));
    }
    store.ingest(new Store.Write("dev-1", 1, big, 0, 1));
    List<StoredRecord> first = store.page(0, 100, null, null);
    assertThat(first.size()).isBetween(16, 17);
    List<StoredRecord> rest = store.page(first.getLast().serverSeq(), 100, null, null);
    assertThat(first.size() + rest.size()).isEqualTo(20);
  }

  @Test
  void concurrentWritesOfTheSameRecordsStoreEachOnce() throws Exception {
    int writers = 6;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<boolean[]>> results = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int shift = w % 3;
        results.add(pool.submit(() -> store.ingest(write(Batches.batch("dev-1", 5, 1 + shift * 50, 200), 1))));
      }
      int stored = 0;
      for (Future<boolean[]> f : results) {
        for (boolean b : f.get()) {
          stored += b ? 1 : 0;
        }
      }
      assertThat(stored).isEqualTo(300); // seqs 1..300 across the overlapping batches
      List<StoredRecord> all = store.page(0, 10_000, null, null);
      Set<Long> seqs = new HashSet<>();
      all.forEach(r -> seqs.add(r.message().seq()));
      assertThat(all).hasSize(300);
      assertThat(seqs).hasSize(300);
      DeviceInfo d = device("dev-1");
      assertThat(d.stored()).isEqualTo(300);
      assertThat(d.duplicates()).isEqualTo(writers * 200 - 300);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Chained writes queued back to back: both commit, the predecessor's records first. */
  @Test
  void aWriteQueuedAfterAnotherIsStoredAfterIt() {
    CompletableFuture<boolean[]> first = store.submit(write(Batches.batch("dev-1", 1, 1, 30), 1), null);
    CompletableFuture<boolean[]> second = store.submit(write(Batches.batch("dev-1", 1, 31, 30), 2), first);
    CompletableFuture<boolean[]> third = store.submit(write(Batches.batch("dev-1", 1, 61, 30), 3), second);
    assertThat(store.await(third)).hasSize(30).containsOnly(true);
    assertThat(store.await(first)).hasSize(30).containsOnly(true);
    assertThat(store.await(second)).hasSize(30).containsOnly(true);
    List<StoredRecord> all = store.page(0, 100, null, null);
    assertThat(all).extracting(StoredRecord::serverSeq).isSorted();
    assertThat(all).extracting(r -> r.message().seq()).isSorted().hasSize(90);
  }

  /** A write after a failed one is refused as such and leaves no trace, not even in the counters. */
  @Test
  void aWriteAfterAFailedOneStoresNothing() {
    CompletableFuture<boolean[]> failed =
        CompletableFuture.failedFuture(new StoreException("the predecessor failed"));
    CompletableFuture<boolean[]> next = store.submit(write(Batches.batch("dev-1", 1, 1, 5), 1), failed);
    assertThatThrownBy(() -> store.await(next)).isInstanceOf(PredecessorNotStoredException.class);
    CompletableFuture<boolean[]> after = store.submit(write(Batches.batch("dev-1", 1, 6, 5), 1), next);
    assertThatThrownBy(() -> store.await(after)).isInstanceOf(PredecessorNotStoredException.class);
    assertThat(store.page(0, 100, null, null)).isEmpty();
    assertThat(device("dev-1").stored()).isZero();
    assertThat(device("dev-1").lastSeen()).isZero();
    assertThat(store.pendingRecords()).isZero();
    // the store goes on: an unchained write of the same records is stored
    assertThat(store.ingest(write(Batches.batch("dev-1", 1, 1, 5), 2))).containsOnly(true);
  }

  @Test
  void devicesTokensAndRevocation() {
    assertThat(store.devices().deviceForToken("hash-1")).contains("dev-1");
    assertThat(store.devices().deviceForToken("nope")).isEmpty();
    assertThatThrownBy(() -> store.devices().addDevice("dev-1", "other", 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already exists");
    assertThat(store.devices().revokeDevice("dev-1", 5000)).isTrue();
    assertThat(store.devices().revokeDevice("dev-1", 6000)).isFalse();
    assertThat(store.devices().revokeDevice("ghost", 6000)).isFalse();
    assertThat(store.devices().deviceForToken("hash-1")).isEmpty();
    assertThat(device("dev-1").revokedAt()).isEqualTo(5000);
    assertThat(store.devices().devices()).extracting(DeviceInfo::deviceId).containsExactly("dev-1", "dev-2");
  }

  @Test
  void countsAndHealthPerDevice() {
    store.ingest(new Store.Write("dev-2", 1, Batches.batch("dev-2", 1, 1, 3).messages(), 2, 100));
    store.ingest(write(Batches.batch("dev-2", 1, 2, 3), 200));
    store.devices().putHealth("dev-2", "{\"link\":\"ONLINE\"}", 300);
    DeviceInfo d = device("dev-2");
    assertThat(d.stored()).isEqualTo(4);
    assertThat(d.duplicates()).isEqualTo(2);
    assertThat(d.rejected()).isEqualTo(2);
    assertThat(d.lastSeen()).isEqualTo(300);
    assertThat(d.healthJson()).isEqualTo("{\"link\":\"ONLINE\"}");
    assertThat(d.healthAt()).isEqualTo(300);
    assertThatThrownBy(() -> store.devices().putHealth("ghost", "{}", 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void adminHashIsSetOnce() {
    assertThat(store.adminTokens().adminTokenHash()).isEmpty();
    assertThat(store.adminTokens().initAdminTokenHash("first")).isEqualTo("first");
    assertThat(store.adminTokens().initAdminTokenHash("second")).isEqualTo("first");
    assertThat(store.adminTokens().adminTokenHash()).contains("first");
  }

  @Test
  void pingsWhenOpenAndReportsPending() {
    store.ping();
    assertThat(store.pendingRecords()).isZero();
  }

  DeviceInfo device(String id) {
    return store.devices().devices().stream().filter(d -> d.deviceId().equals(id)).findFirst().orElseThrow();
  }
}
