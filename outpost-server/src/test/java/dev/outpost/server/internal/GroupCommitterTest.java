package dev.outpost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.server.testing.Batches;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Ordered writes in {@link GroupCommitter}: a write whose {@code after} failed is never written,
 * also when a failed group is retried write by write. The writer is a lambda that records every
 * call (by device, one name per write) and fails any group holding a device named "bad"; a
 * "block" write holds the writer thread so that the writes behind it queue up into one group.
 */
class GroupCommitterTest {
  private final List<List<String>> calls = new ArrayList<>();
  private final CountDownLatch blocked = new CountDownLatch(1);
  private final CountDownLatch unblock = new CountDownLatch(1);
  private final GroupCommitter committer =
      new GroupCommitter("test", this::write, 10_000, Duration.ofSeconds(10));

  @AfterEach
  void close() {
    unblock.countDown();
    committer.close();
  }

  private List<boolean[]> write(List<Store.Write> group) throws Exception {
    List<String> devices = group.stream().map(Store.Write::deviceId).toList();
    synchronized (calls) {
      calls.add(devices);
    }
    if (devices.contains("block")) {
      blocked.countDown();
      assertThat(unblock.await(10, TimeUnit.SECONDS)).isTrue();
    }
    if (devices.contains("bad")) {
      throw new java.sql.SQLException("bad write in the group");
    }
    return group.stream().map(w -> new boolean[w.messages().size()]).toList();
  }

  private static Store.Write w(String device) {
    return new Store.Write(device, 1, Batches.batch(device, 1, 1, 2).messages(), 0, 1);
  }

  private List<List<String>> calls() {
    synchronized (calls) {
      return List.copyOf(calls);
    }
  }

  /** Holds the writer thread in a commit until {@link #unblock}; what is submitted meanwhile queues. */
  private CompletableFuture<boolean[]> holdWriter() throws InterruptedException {
    CompletableFuture<boolean[]> f = committer.submit(w("block"), null);
    assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();
    return f;
  }

  @Test
  void aWriteAfterAFailedOneFailsAndIsNeverWritten() {
    CompletableFuture<boolean[]> p = committer.submit(w("bad"), null);
    assertThatThrownBy(() -> committer.await(p)).isInstanceOf(StoreException.class);
    CompletableFuture<boolean[]> s = committer.submit(w("s"), p);
    assertThatThrownBy(() -> committer.await(s)).isInstanceOf(PredecessorNotStoredException.class);
    // and so is a write after that one, and after any failed future
    CompletableFuture<boolean[]> s2 = committer.submit(w("s2"), s);
    assertThatThrownBy(() -> committer.await(s2)).isInstanceOf(PredecessorNotStoredException.class);
    CompletableFuture<boolean[]> s3 =
        committer.submit(w("s3"), CompletableFuture.failedFuture(new IllegalStateException("refused")));
    assertThatThrownBy(() -> committer.await(s3)).isInstanceOf(PredecessorNotStoredException.class);
    assertThat(calls()).containsExactly(List.of("bad"));
    assertThat(committer.pending()).isZero();
  }

  @Test
  void aFailedGroupIsRetriedWriteByWriteAndASuccessorOfAFailedWriteIsNotWritten() throws Exception {
    CompletableFuture<boolean[]> block = holdWriter();
    CompletableFuture<boolean[]> p = committer.submit(w("bad"), null);
    CompletableFuture<boolean[]> s = committer.submit(w("s"), p);
    CompletableFuture<boolean[]> u = committer.submit(w("u"), null);
    unblock.countDown();
    assertThat(committer.await(block)).hasSize(2);
    assertThatThrownBy(() -> committer.await(p)).isInstanceOf(StoreException.class);
    assertThatThrownBy(() -> committer.await(s)).isInstanceOf(PredecessorNotStoredException.class);
    assertThat(committer.await(u)).hasSize(2);
    assertThat(calls()).containsExactly(
        List.of("block"), List.of("bad", "s", "u"), // the group fails as a whole
        List.of("bad"), List.of("u")); // one by one: "s" is skipped, its predecessor failed
    assertThat(committer.pending()).isZero();
  }

  @Test
  void aSuccessorCommitsWithItsPredecessorInOneGroup() throws Exception {
    CompletableFuture<boolean[]> block = holdWriter();
    CompletableFuture<boolean[]> p = committer.submit(w("p"), null);
    CompletableFuture<boolean[]> s = committer.submit(w("s"), p);
    unblock.countDown();
    committer.await(block);
    assertThat(committer.await(p)).hasSize(2);
    assertThat(committer.await(s)).hasSize(2);
    assertThat(calls()).containsExactly(List.of("block"), List.of("p", "s"));
  }

  @Test
  void aSuccessorInALaterGroupCommitsOnceItsPredecessorCommitted() {
    CompletableFuture<boolean[]> p = committer.submit(w("p"), null);
    assertThat(committer.await(p)).hasSize(2);
    CompletableFuture<boolean[]> s = committer.submit(w("s"), p);
    assertThat(committer.await(s)).hasSize(2);
    assertThat(calls()).containsExactly(List.of("p"), List.of("s"));
  }
}
