package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.outpost.core.Priority;
import dev.outpost.edge.Lease;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.OutboxFullException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox on a real 3 MiB tmpfs that fills up (ENOSPC, SQLITE_FULL): appends are refused with
 * "outbox full: disk full at ...", the backlog can still be leased and acked while the disk is
 * full, appends succeed again once space returns, and nothing acknowledged is lost. Needs root
 * and mount permission (skipped otherwise).
 */
class FullFilesystemTest {
  @TempDir Path tmp;
  private Path mount;

  @AfterEach
  void unmount() throws Exception {
    if (mount != null && !sh("umount", mount.toString())) {
      sh("umount", "-l", mount.toString());
    }
  }

  @Test
  void appendsAreRefusedAsDiskFullTheBacklogDrainsAndAppendsResumeWithoutReopening() throws Exception {
    Path root = mountSmallTmpfs(3 * 1024);
    Path dir = root.resolve("outbox");
    byte[] payload = new byte[2000];
    List<Long> acknowledged = new ArrayList<>();
    Path filler = root.resolve("filler");
    try (Outbox outbox = SqliteOutbox.open(dir, OutboxConfig.defaults())) {
      Files.write(filler, new byte[1 << 20]);
      OutboxFullException refused = null;
      for (int i = 0; i < 5000 && refused == null; i++) {
        try {
          acknowledged.add(outbox.append("t", payload, Priority.HIGH));
        } catch (OutboxFullException e) {
          refused = e;
        }
      }
      assertThat(refused).as("the filesystem filled up").isNotNull();
      assertThat(refused.getMessage()).startsWith("outbox full: disk full at " + dir.resolve(Schema.DB_FILE))
          .contains("SQLITE_FULL");
      assertThat(acknowledged.size()).isGreaterThan(20);
      assertThat(outbox.stats().diskFullRefusals()).isPositive();
      assertThat(outbox.stats().lastStorageError()).contains("SQLITE_FULL");

      // another program takes every byte left: the backlog drains anyway, on the reserve
      Path more = root.resolve("more");
      fillUp(more);
      int drained = 0;
      for (int round = 0; round < 100 && drained < acknowledged.size() / 2; round++) {
        Lease lease = outbox.lease(LeaseRequest.of(50));
        outbox.ack(lease.seqs());
        assertThat(lease.seqs()).containsExactlyElementsOf(acknowledged.subList(drained, drained + lease.seqs().size()));
        drained += lease.seqs().size();
      }
      assertThat(drained).isGreaterThanOrEqualTo(acknowledged.size() / 2);
      List<Long> kept = new ArrayList<>(acknowledged.subList(drained, acknowledged.size()));
      Files.delete(more); // the other program's files go: space returns
      await("appends accepted again once the drained records freed space").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100)).until(() -> {
            try {
              kept.add(outbox.append("t", payload, Priority.HIGH));
              return true;
            } catch (OutboxFullException e) {
              return false;
            }
          });
      acknowledged.clear();
      acknowledged.addAll(kept);
    }
    Files.delete(filler);
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      List<Long> seqs = new ArrayList<>();
      for (Lease l = outbox.lease(LeaseRequest.of(500)); !l.seqs().isEmpty(); l = outbox.lease(LeaseRequest.of(500))) {
        seqs.addAll(l.seqs());
      }
      assertThat(seqs).as("every acknowledged record, once, in order").containsExactlyElementsOf(acknowledged);
      assertThat(outbox.stats().corruptStoresMovedAside()).isZero();
    }
  }

  /** Writes {@code file} until the file system is full (ENOSPC), at most 8 MiB. */
  private static void fillUp(Path file) throws java.io.IOException {
    byte[] chunk = new byte[4096];
    try (java.io.OutputStream out = Files.newOutputStream(file)) {
      for (int i = 0; i < 2048; i++) {
        out.write(chunk);
        out.flush();
      }
    } catch (java.io.IOException full) {
      return;
    }
    throw new AssertionError("the tmpfs did not fill up");
  }

  private Path mountSmallTmpfs(int kib) throws Exception {
    assumeTrue(System.getProperty("os.name").startsWith("Linux"), "tmpfs needs Linux");
    Path point = Files.createDirectories(tmp.resolve("small"));
    assumeTrue(sh("mount", "-t", "tmpfs", "-o", "size=" + kib + "k", "tmpfs", point.toString()),
        "mounting a tmpfs needs root and mount permission; skipped");
    mount = point;
    return point;
  }

  private static boolean sh(String... cmd) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (java.io.IOException e) {
      return false;
    }
    return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
  }
}
