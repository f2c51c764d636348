package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.sync.Document;
import dev.outpost.core.sync.Op;
import dev.outpost.core.sync.SyncBinary;
import dev.outpost.core.sync.SyncJson;
import dev.outpost.core.wire.Protocol;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.Replica;
import dev.outpost.edge.ReplicaConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILLs a child JVM writing to its replica at full speed, many times on the same store. After
 * every kill the store holds, for every document, exactly the state its ops in the outbox build:
 * no local change without its op, no op without its change. Every acknowledged increment is
 * there (an unacknowledged one in flight at the kill may be too), and the replica writes on.
 */
class ReplicaCrashTest {
  private static final Pattern ACK = Pattern.compile("^(\\d+) (\\d+)\\.$");

  @TempDir Path dir;

  @Test
  void aSigkillNeverSeparatesALocalChangeFromItsOp() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    System.out.println("ReplicaCrashTest seed " + seed);
    int threads = 3;
    Map<Integer, Long> acked = new HashMap<>();
    int runs = 8;
    for (int run = 0; run < runs; run++) {
      for (String line : runAndKill(run, threads, 1 + random.nextInt(400))) {
        Matcher m = ACK.matcher(line);
        if (m.matches()) {
          acked.merge(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Math::max);
        }
      }
      assertStateEqualsItsOps(seed);
    }
    assertThat(acked).as("acknowledged writes over %d runs", runs).isNotEmpty();
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.defaults());
        Replica replica = Replica.open(outbox, ReplicaConfig.builder("gw-1").collection(CrashingReplicaWriter.STOCK)
            .collection(CrashingReplicaWriter.ORDERS).build())) {
      for (Map.Entry<Integer, Long> a : acked.entrySet()) {
        long onHand = replica.collection("stock").get("sku-" + a.getKey()).orElseThrow().path("onHand").asLong();
        assertThat(onHand).as("sku-%d: every acknowledged increment is there (seed %d)", a.getKey(), seed)
            .isBetween(a.getValue(), a.getValue() + runs);
      }
      long before = replica.collection("stock").get("sku-0").orElseThrow().path("onHand").asLong();
      assertThat(replica.collection("stock").increment("sku-0", "onHand", 1).path("onHand").asLong()).isEqualTo(before + 1);
    }
    System.out.printf("%d SIGKILLs: acknowledged increments by thread %s%n", runs, acked);
  }

  /** Every document's stored state is exactly what its ops in the outbox build, in seq order. */
  private void assertStateEqualsItsOps(long seed) throws SQLException {
    Map<String, Document> rebuilt = new TreeMap<>();
    Map<String, Document> stored = new TreeMap<>();
    try (Connection c = StoreFile.connect(StoreFile.dbPath(dir)); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT payload FROM records WHERE topic = '" + Protocol.SYNC_TOPIC + "' ORDER BY seq")) {
        while (rs.next()) {
          Op op = SyncJson.decodeOp(rs.getBytes(1));
          rebuilt.computeIfAbsent(op.collection() + "/" + op.id(), k -> new Document(op.collection(), op.id())).apply(op);
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT collection, id, state FROM replica_docs")) {
        while (rs.next()) {
          stored.put(rs.getString(1) + "/" + rs.getString(2), SyncBinary.decode(rs.getString(1), rs.getString(2), rs.getBytes(3)));
        }
      }
    }
    assertThat(stored.keySet()).as("documents with ops (seed %d)", seed).isEqualTo(rebuilt.keySet());
    for (String key : stored.keySet()) {
      assertThat(stored.get(key).state()).as("%s: stored state vs its ops (seed %d)", key, seed)
          .isEqualTo(rebuilt.get(key).state());
    }
  }

  private List<String> runAndKill(int run, int threads, int killAfter) throws Exception {
    return KilledChild.runAndKill(dir, "replica-child-" + run, CrashingReplicaWriter.class,
        List.of(dir.toString(), Integer.toString(threads)), killAfter);
  }
}
