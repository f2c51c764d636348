package dev.outpost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The per-device memory of named batches behind chained sends. */
class BatchChainsTest {
  private final BatchChains chains = new BatchChains();

  private CompletableFuture<?> awaitQueued(String device, String id) throws InterruptedException {
    return chains.awaitQueued(device, id, Duration.ZERO, Duration.ZERO);
  }

  @Test
  void keepsACommitsOutcomeButNotItsPerRecordFlags() throws Exception {
    CompletableFuture<boolean[]> commit = new CompletableFuture<>();
    chains.arrived("dev-1", "a").queued(commit);
    CompletableFuture<?> outcome = awaitQueued("dev-1", "a");
    assertThat(outcome).isNotDone();
    commit.complete(new boolean[5000]);
    // done with the commit itself, and holding nothing of its result
    assertThat(outcome).isCompletedWithValueMatching(v -> v == null);

    CompletableFuture<boolean[]> failing = new CompletableFuture<>();
    chains.arrived("dev-1", "b").queued(failing);
    CompletableFuture<?> failed = awaitQueued("dev-1", "b");
    failing.completeExceptionally(new StoreException("disk full"));
    assertThat(failed.isCompletedExceptionally()).isTrue();
  }

  @Test
  void aBatchEndedBeforeTheStoreCountsAsNotStored() throws Exception {
    chains.arrived("dev-1", "a").failedUnlessQueued();
    assertThat(awaitQueued("dev-1", "a").isCompletedExceptionally()).isTrue();
    BatchChains.Link queued = chains.arrived("dev-1", "b");
    queued.queued(CompletableFuture.completedFuture(new boolean[1]));
    queued.failedUnlessQueued(); // the handler's finally: no effect once queued
    assertThat(awaitQueued("dev-1", "b").isCompletedExceptionally()).isFalse();
  }

  @Test
  void remembersTheLastNamedBatchesOfEachDeviceOnly() throws Exception {
    for (int i = 0; i <= BatchChains.PER_DEVICE; i++) {
      chains.arrived("dev-1", "n" + i).queued(CompletableFuture.completedFuture(new boolean[1]));
    }
    assertThat(awaitQueued("dev-1", "n1").isCompletedExceptionally()).isFalse();
    assertThat(awaitQueued("dev-1", "n" + BatchChains.PER_DEVICE).isCompletedExceptionally()).isFalse();
    assertThat(awaitQueued("dev-1", "n0").isCompletedExceptionally()).as("evicted, so unknown").isTrue();
    assertThat(awaitQueued("dev-2", "n1").isCompletedExceptionally()).as("names are per device").isTrue();
  }
}
