package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurabilityIdentityTest {
  @TempDir Path dir;

  @Test
  void appendReturnsIncreasingSeqsAndRecordsSurviveReopen() {
    long epoch;
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      epoch = outbox.epoch();
      assertThat(epoch).isNotZero();
      long a = outbox.append("t", bytes("one"), Priority.NORMAL, Map.of("k", "v"));
      long b = outbox.append("t", bytes("two"), Priority.NORMAL);
      assertThat(a).isEqualTo(1);
      assertThat(b).isEqualTo(2);
      assertThat(outbox.stats().lastSeq()).isEqualTo(2);
    }
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      assertThat(outbox.epoch()).isEqualTo(epoch);
      List<Message> got = outbox.lease(LeaseRequest.of(10)).messages();
      assertThat(got).extracting(Message::seq).containsExactly(1L, 2L);
      assertThat(got.get(0).headers()).isEqualTo(Map.of("k", "v"));
      assertThat(new String(got.get(1).payload(), StandardCharsets.UTF_8)).isEqualTo("two");
      assertThat(outbox.append("t", bytes("three"), Priority.NORMAL)).isEqualTo(3);
    }
  }

  @Test
  void seqIsNeverReusedEvenWhenTheNewestRecordsWereAckedAndDeleted() {
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      for (int i = 0; i < 5; i++) {
        outbox.append("t", bytes("r" + i), Priority.HIGH);
      }
      outbox.ack(outbox.lease(LeaseRequest.of(10)).seqs());
      assertThat(outbox.stats().pendingTotal()).isZero();
    }
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      assertThat(outbox.stats().lastSeq()).isEqualTo(5);
      assertThat(outbox.append("t", bytes("next"), Priority.HIGH)).isEqualTo(6);
    }
  }

  @Test
  void aNewStoreGetsANewRandomEpoch(@TempDir Path other) {
    long a;
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      a = outbox.epoch();
    }
    try (Outbox outbox = Outbox.open(other, OutboxConfig.defaults())) {
      assertThat(outbox.epoch()).isNotEqualTo(a);
      assertThat(outbox.stats().epoch()).isEqualTo(outbox.epoch());
    }
  }

  @Test
  void epochsArePositiveAndExactAsJsonNumbers() {
    // JSON readers that use doubles are exact only below 2^53; the dedupe key must survive them.
    for (int i = 0; i < 10_000; i++) {
      long epoch = Epochs.newEpoch();
      assertThat(epoch).isPositive().isLessThan(1L << 53);
      assertThat((long) (double) epoch).isEqualTo(epoch);
    }
  }

  @Test
  void concurrentAppendsShareCommitsAndGetDistinctSeqs() throws Exception {
    int threads = 8;
    int each = 500;
    Set<Long> seqs = ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicInteger commits = new java.util.concurrent.atomic.AtomicInteger();
    CommitLoop.CommitFault countCommits = records -> {
      if (records > 0) {
        commits.incrementAndGet();
      }
    };
    try (Outbox outbox = SqliteOutbox.open(dir, OutboxConfig.defaults(), countCommits)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        done.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            seqs.add(outbox.append("t" + id, bytes(id + ":" + i), Priority.NORMAL));
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      pool.shutdown();
      assertThat(seqs).hasSize(threads * each);
      assertThat(outbox.stats().lastSeq()).isEqualTo(threads * each);
      assertThat(outbox.stats().pendingTotal()).isEqualTo(threads * each);
      System.out.printf("%d appends from %d threads in %d commits%n", threads * each, threads, commits.get());
      assertThat(commits.get()).as("group commit: appends share commits").isLessThan(threads * each / 2);
    }
  }

  @Test
  void asyncAndBatchAppendsCompleteWhenDurable() {
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      List<CompletableFuture<Long>> futures = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        futures.add(outbox.appendAsync("a", bytes("x" + i), Priority.LOW, Map.of()));
      }
      List<Long> seqs = futures.stream().map(CompletableFuture::join).toList();
      assertThat(seqs).isSorted().doesNotHaveDuplicates().hasSize(100);
      List<Long> batch = outbox.appendAll(List.of(
          new NewRecord("b", bytes("1"), Priority.CRITICAL), new NewRecord("b", bytes("2"), Priority.LOW)));
      assertThat(batch).containsExactly(101L, 102L);
    }
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      assertThat(outbox.stats().pendingTotal()).isEqualTo(102);
    }
  }

  @Test
  void oneProducersAsyncThenSyncAppendsKeepTheirOrder() {
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      for (int i = 0; i < 100; i++) {
        CompletableFuture<Long> first = outbox.appendAsync("lane", bytes("a" + i), Priority.HIGH, Map.of());
        long second = outbox.append("lane", bytes("b" + i), Priority.HIGH);
        assertThat(second).as("round %d", i).isGreaterThan(first.join());
      }
    }
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
