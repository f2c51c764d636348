package dev.outpost.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentLockTest {
  @TempDir Path dataDir;

  @Test
  void probesRacingAStartNeverMakeItRefuse() throws Exception {
    // a probe takes the lock for a moment to see whether it is free; an agent starting in that
    // moment must not take the probe for another agent (outpost status during a start)
    try (AgentLock first = AgentLock.acquire(dataDir)) {
      first.describe(1, "http://127.0.0.1:1");
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger probes = new AtomicInteger();
    CompletableFuture<Void> prober = CompletableFuture.runAsync(() -> {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!stop.get() && System.nanoTime() < end) {
        AgentLock.probe(dataDir);
        probes.incrementAndGet();
      }
    });
    try {
      for (int i = 0; i < 300; i++) {
        try (AgentLock lock = AgentLock.acquire(dataDir)) {
          lock.describe(ProcessHandle.current().pid(), "http://127.0.0.1:7411");
        }
      }
    } finally {
      stop.set(true);
      prober.get(30, TimeUnit.SECONDS);
    }
    assertThat(probes.get()).as("the prober ran alongside").isPositive();
  }

  @Test
  void aHeldLockIsRefusedAfterTheGraceNamingItsHolder() {
    try (AgentLock held = AgentLock.acquire(dataDir)) {
      held.describe(4242, "http://127.0.0.1:7411");
      assertThat(AgentLock.probe(dataDir)).contains(new AgentLock.Running(4242, "http://127.0.0.1:7411"));
      long start = System.nanoTime();
      assertThatThrownBy(() -> AgentLock.acquire(dataDir))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("another agent already runs on data dir " + dataDir)
          .hasMessageContaining("pid 4242")
          .hasMessageContaining("stop it first");
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(AgentLock.PROBE_GRACE_MILLIS))
          .isLessThan(Duration.ofSeconds(5));
    }
    assertThat(AgentLock.probe(dataDir)).isEmpty();
  }
}
