package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILLs a child JVM appending at full speed, many times on the same store, and checks that
 * every acknowledged seq is present exactly once with its own payload and that no seq is reused.
 */
class CrashRecoveryTest {
  private static final Pattern ACK = Pattern.compile("^(\\d+) (\\S+)\\.$");
  private static final Pattern ACKED = Pattern.compile("^A (\\d+)\\.$");
  private static final Pattern TO_ACK = Pattern.compile("^T (\\d+)\\.$");
  private static final Pattern EPOCH = Pattern.compile("^epoch ([0-9a-f]+)\\.$");

  @TempDir Path dir;

  @Test
  void everyAcknowledgedAppendSurvivesRepeatedSigkill() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    System.out.println("CrashRecoveryTest seed " + seed);
    Map<Long, String> acked = new HashMap<>();
    java.util.Set<Long> delivered = new java.util.HashSet<>();
    java.util.Set<Long> ackTried = new java.util.HashSet<>();
    String epoch = null;
    long previousMax = 0;
    int runs = 12;
    for (int run = 0; run < runs; run++) {
      int killAfter = run == 0 ? 1 : 1 + random.nextInt(1500);
      List<String> lines = runAndKill(run, 4, killAfter);
      long runMax = 0;
      for (String line : lines) {
        Matcher e = EPOCH.matcher(line);
        if (e.matches()) {
          epoch = epoch == null ? e.group(1) : epoch;
          assertThat(e.group(1)).as("epoch is stable across crashes (seed %d)", seed).isEqualTo(epoch);
          continue;
        }
        Matcher d = ACKED.matcher(line);
        if (d.matches()) {
          delivered.add(Long.parseLong(d.group(1)));
          continue;
        }
        Matcher tried = TO_ACK.matcher(line);
        if (tried.matches()) {
          ackTried.add(Long.parseLong(tried.group(1)));
          continue;
        }
        Matcher m = ACK.matcher(line);
        if (m.matches()) {
          long seq = Long.parseLong(m.group(1));
          assertThat(acked.put(seq, m.group(2))).as("seq %d handed out twice (seed %d)", seq, seed).isNull();
          assertThat(seq).as("seq reused after a crash (seed %d)", seed).isGreaterThan(previousMax);
          runMax = Math.max(runMax, seq);
        }
      }
      previousMax = Math.max(previousMax, runMax);
    }
    assertThat(acked.size()).as("acknowledged appends over %d runs", runs).isGreaterThan(runs);
    Map<Long, String> stored = readAll(dir);
    System.out.printf("%d SIGKILLs: %d appends acknowledged, %d of them acked by the consumer, %d records stored%n",
        runs, acked.size(), delivered.size(), stored.size());
    for (Map.Entry<Long, String> a : acked.entrySet()) {
      if (delivered.contains(a.getKey())) {
        assertThat(stored).as("acked (delivered) seq %d is gone (seed %d)", a.getKey(), seed).doesNotContainKey(a.getKey());
      } else if (!ackTried.contains(a.getKey()) || stored.containsKey(a.getKey())) {
        // an ack in flight at the kill may or may not have committed; anything else must be there
        assertThat(stored.get(a.getKey())).as("acknowledged seq %d (seed %d)", a.getKey(), seed).isEqualTo(a.getValue());
      }
    }
    assertThat(stored.values()).doesNotHaveDuplicates();
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      assertThat(Long.toHexString(outbox.epoch())).isEqualTo(epoch);
      assertThat(outbox.stats().inFlight()).as("leases do not survive a restart").isZero();
      assertThat(outbox.stats().pendingTotal()).isEqualTo(stored.size());
      assertThat(outbox.stats().lastSeq()).isGreaterThanOrEqualTo(previousMax);
      assertThat(outbox.stats().corruptStoresMovedAside()).isZero();
    }
  }

  @Test
  void aTornWalTailAfterSigkillIsIgnoredAndNothingAcknowledgedIsLost() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    System.out.println("torn WAL seed " + seed);
    Map<Long, String> acked = new HashMap<>();
    java.util.Set<Long> ackTried = new java.util.HashSet<>();
    for (String line : runAndKill(0, 2, 500 + random.nextInt(1000))) {
      Matcher m = ACK.matcher(line);
      Matcher tried = TO_ACK.matcher(line);
      if (m.matches()) {
        acked.put(Long.parseLong(m.group(1)), m.group(2));
      } else if (tried.matches()) {
        ackTried.add(Long.parseLong(tried.group(1)));
      }
    }
    Path wal = dir.resolve(Schema.DB_FILE + "-wal");
    assertThat(wal).exists();
    byte[] torn = new byte[1 + random.nextInt(3 * 4120)];
    random.nextBytes(torn);
    Files.write(wal, torn, StandardOpenOption.APPEND);
    Map<Long, String> stored = readAll(dir);
    for (Map.Entry<Long, String> a : acked.entrySet()) {
      if (!ackTried.contains(a.getKey())) {
        assertThat(stored.get(a.getKey())).as("acked seq %d (seed %d)", a.getKey(), seed).isEqualTo(a.getValue());
      }
    }
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults())) {
      assertThat(outbox.stats().corruptStoresMovedAside()).isZero();
      assertThat(outbox.append("t", new byte[1], dev.outpost.core.Priority.LOW))
          .isGreaterThan(acked.keySet().stream().mapToLong(Long::longValue).max().orElse(0));
    }
  }

  private List<String> runAndKill(int run, int threads, int killAfter) throws Exception {
    return KilledChild.runAndKill(dir, "child-" + run, CrashingAppender.class,
        List.of(dir.toString(), "r" + run, Integer.toString(threads)), killAfter);
  }

  static Map<Long, String> readAll(Path dir) throws SQLException {
    Map<Long, String> rows = new HashMap<>();
    try (Connection c = StoreFile.connect(StoreFile.dbPath(dir)); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT seq, payload FROM records")) {
      while (rs.next()) {
        rows.put(rs.getLong(1), new String(rs.getBytes(2), StandardCharsets.UTF_8));
      }
    }
    return rows;
  }
}
