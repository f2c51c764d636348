package dev.outpost.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The writer kit's queueing on its own, with a committer that records what it was handed (the
 * stores' tests cover it with real SQLite and PostgreSQL commits).
 */
class SingleWriterTest {

  /** A task of {@code records} records from {@code producer}, the {@code n}th it queued. */
  static final class Item implements SingleWriter.Task {
    final int producer;
    final int n;
    final int records;
    final CompletableFuture<Thread> done = new CompletableFuture<>();

    Item(int producer, int n, int records) {
      this.producer = producer;
      this.n = n;
      this.records = records;
    }

    @Override
    public int records() {
      return records;
    }

    @Override
    public void fail(RuntimeException e) {
      done.completeExceptionally(e);
    }
  }

  private final List<List<Item>> groups = new CopyOnWriteArrayList<>();
  private final List<String> order = new CopyOnWriteArrayList<>();

  private SingleWriter<Item> writer(int maxTasks, int maxRecords, Duration maxWait, int capacity) {
    return new SingleWriter<>(new SingleWriter.Settings("test-writer", maxTasks, maxRecords, maxWait, capacity,
        e -> new IllegalStateException("writer failed: " + e.getMessage(), e)), group -> {
      groups.add(List.copyOf(group));
      for (Item i : group) {
        order.add(i.producer + ":" + i.n);
        i.done.complete(Thread.currentThread());
      }
    });
  }

  @Test
  void concurrentTasksShareGroupsAndEachProducerKeepsItsOrder() throws Exception {
    SingleWriter<Item> w = writer(1000, Integer.MAX_VALUE, Duration.ofMillis(2), 8000);
    w.start();
    int producers = 8;
    int each = 2000;
    List<Item> all = new CopyOnWriteArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(producers)) {
      List<Future<?>> fs = new ArrayList<>();
      for (int p = 0; p < producers; p++) {
        int producer = p;
        fs.add(pool.submit(() -> {
          for (int n = 0; n < each; n++) {
            Item item = new Item(producer, n, 1);
            all.add(item);
            w.submit(item);
          }
        }));
      }
      for (Future<?> f : fs) {
        f.get(30, TimeUnit.SECONDS);
      }
    }
    CompletableFuture.allOf(all.stream().map(i -> i.done).toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    assertThat(all).hasSize(producers * each);
    assertThat(groups.size()).as("groups for %d tasks", all.size()).isLessThan(all.size());
    assertThat(groups).allMatch(g -> g.size() <= 1000);
    for (int p = 0; p < producers; p++) {
      String prefix = p + ":";
      List<Integer> seen = order.stream().filter(s -> s.startsWith(prefix))
          .map(s -> Integer.parseInt(s.substring(prefix.length()))).toList();
      assertThat(seen).as("producer %d in order", p).isSorted().hasSize(each);
    }
    assertThat(w.stop(Duration.ofSeconds(5))).isEmpty();
  }

  @Test
  void aGroupStopsAtTheRecordLimitAndSoloWorkRunsBetweenGroupsInQueueOrder() throws Exception {
    SingleWriter<Item> w = writer(1000, 10, Duration.ZERO, 0);
    // queued before the thread starts, so the writer finds them all at once
    List<Item> items = new ArrayList<>();
    for (int n = 0; n < 6; n++) {
      Item item = new Item(0, n, 4);
      items.add(item);
      w.submit(item);
      if (n == 3) {
        w.solo(() -> order.add("solo"));
      }
    }
    w.start();
    CompletableFuture.allOf(items.stream().map(i -> i.done).toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    assertThat(order).containsExactly("0:0", "0:1", "0:2", "0:3", "solo", "0:4", "0:5");
    assertThat(groups).extracting(List::size).containsExactly(3, 1, 2); // 12 records reach the limit of 10
    w.stop(Duration.ofSeconds(5));
  }

  @Test
  void anIdleWriterLetsTheCallerCommitOnItsOwnThreadABusyOneDoesNot() throws Exception {
    CountDownLatch inSolo = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    SingleWriter<Item> w = writer(100, Integer.MAX_VALUE, Duration.ZERO, 0);
    w.start();
    Item here = new Item(0, 0, 1);
    assertThat(w.tryRunHere(here)).isTrue();
    assertThat(here.done.get()).isSameAs(Thread.currentThread());

    CompletableFuture<Void> busy = w.solo(() -> {
      inSolo.countDown();
      release.await();
      return null;
    });
    assertThat(inSolo.await(10, TimeUnit.SECONDS)).isTrue();
    Item queued = new Item(0, 1, 1);
    assertThat(w.tryRunHere(queued)).as("writer busy").isFalse();
    assertThat(queued.done).isNotDone();
    release.countDown();
    busy.get(10, TimeUnit.SECONDS);
    w.stop(Duration.ofSeconds(5));
  }

  @Test
  void aCommitterThatThrowsFailsItsGroupAndTheWriterGoesOn() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    SingleWriter<Item> w = new SingleWriter<>(new SingleWriter.Settings("test-writer", 100, 100, Duration.ZERO, 0,
        e -> new IllegalStateException("writer failed: " + e.getMessage(), e)), group -> {
      if (calls.getAndIncrement() == 0) {
        throw new IllegalArgumentException("boom");
      }
      group.forEach(i -> i.done.complete(Thread.currentThread()));
    });
    w.start();
    Item first = new Item(0, 0, 1);
    w.submit(first);
    assertThatThrownBy(() -> first.done.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .hasRootCauseMessage("boom").hasMessageContaining("writer failed: boom");
    Item second = new Item(0, 1, 1);
    w.submit(second);
    assertThat(second.done.get(10, TimeUnit.SECONDS)).isNotNull();
    w.stop(Duration.ofSeconds(5));
  }

  /**
   * Producers race stop(): every task is committed, handed back by stop() for the owner to fail,
   * or refused at submit; none is left waiting forever.
   */
  @Test
  void stopLeavesNoTaskBehindWhileProducersRaceIt() throws Exception {
    for (int round = 0; round < 20; round++) {
      SingleWriter<Item> w = writer(50, Integer.MAX_VALUE, Duration.ZERO, 64);
      w.start();
      List<Item> submitted = new CopyOnWriteArrayList<>();
      AtomicInteger refused = new AtomicInteger();
      CountDownLatch started = new CountDownLatch(4);
      List<Item> left;
      try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
        for (int p = 0; p < 4; p++) {
          int producer = p;
          pool.execute(() -> {
            started.countDown();
            for (int n = 0; n < 5000; n++) {
              Item item = new Item(producer, n, 1);
              try {
                w.submit(item);
                submitted.add(item);
              } catch (IllegalStateException e) {
                refused.incrementAndGet();
                return;
              }
            }
          });
        }
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        left = w.stop(Duration.ofSeconds(10));
      }
      left.forEach(i -> i.fail(new IllegalStateException("closed")));
      // stop() drained what was queued at its end; a producer that queued after that took its task back
      for (Item i : submitted) {
        assertThat(i.done).as("round %d: task %d:%d", round, i.producer, i.n).isDone();
      }
    }
  }
}
