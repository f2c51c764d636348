package dev.outpost.edge.internal;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.outpost.core.sync.CollectionRules;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.edge.Replica;
import dev.outpost.edge.ReplicaConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;

/**
 * Child process for {@link ReplicaCrashTest}: opens the store in {@code args[0]} with a replica
 * and writes from {@code args[1]} threads at full speed, each alternating an increment of its
 * stock counter ({@code stock/sku-<t>}) and a patch of its work order ({@code orders/wo-<t>},
 * {@code n} = the increments so far); prints {@code <t> <n>.} once the increment returned
 * (durable). Runs until killed.
 */
public final class CrashingReplicaWriter {
  static final CollectionRules STOCK = new CollectionRules("stock", CollectionRules.Conflict.LWW, Set.of("onHand"),
      Set.of(), CollectionRules.Access.READ_WRITE, 0);
  static final CollectionRules ORDERS = new CollectionRules("orders", CollectionRules.Conflict.LWW, Set.of(),
      Set.of("tags"), CollectionRules.Access.READ_WRITE, 0);

  private CrashingReplicaWriter() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    int threads = Integer.parseInt(args[1]);
    BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
    Outbox outbox = Outbox.open(dir, OutboxConfig.defaults());
    Replica replica = Replica.open(outbox, ReplicaConfig.builder("gw-1").collection(STOCK).collection(ORDERS).build());
    for (int t = 0; t < threads; t++) {
      int id = t;
      new Thread(() -> {
        Replica.Documents stock = replica.collection("stock");
        Replica.Documents orders = replica.collection("orders");
        for (long i = 0; i < Long.MAX_VALUE; i++) {
          long n = stock.increment("sku-" + id, "onHand", 1).path("onHand").asLong();
          print(out, id + " " + n + ".");
          orders.patch("wo-" + id, JsonNodeFactory.instance.objectNode().set("n", IntNode.valueOf((int) n)));
        }
      }).start();
    }
  }

  private static void print(BufferedWriter out, String line) {
    synchronized (out) {
      try {
        out.write(line);
        out.write('\n');
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
