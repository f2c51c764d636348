package dev.outpost.edge.internal;

import dev.outpost.core.Priority;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Child process for {@link CrashRecoveryTest}: opens the store in {@code args[0]}, prints
 * {@code epoch <hex>.}, then appends from {@code args[2]} threads at full speed and prints
 * {@code <seq> <payload>.} for each append only after it returned (durable). A consumer thread
 * leases batches of 64, prints {@code T <seq>.} for the first quarter, acks it and prints
 * {@code A <seq>.} after the ack returned;
 * the rest stays leased. It runs until killed.
 */
public final class CrashingAppender {
  private CrashingAppender() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    String run = args[1];
    int threads = Integer.parseInt(args[2]);
    BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
    Outbox outbox = Outbox.open(dir, OutboxConfig.defaults());
    print(out, "epoch " + Long.toHexString(outbox.epoch()) + ".");
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread producer = new Thread(() -> {
        for (long i = 0; i < Long.MAX_VALUE; i++) {
          String payload = run + ":" + id + ":" + i;
          Priority p = Priority.values()[(int) (i % 4)];
          long seq = outbox.append("crash/" + id, payload.getBytes(StandardCharsets.UTF_8), p);
          print(out, seq + " " + payload + ".");
        }
      });
      producer.start();
    }
    Thread consumer = new Thread(() -> {
      for (long round = 0; round < Long.MAX_VALUE; round++) {
        List<Long> leased = outbox.lease(LeaseRequest.of(64)).seqs();
        List<Long> acked = leased.subList(0, leased.size() / 4);
        for (long seq : acked) {
          print(out, "T " + seq + ".");
        }
        outbox.ack(acked);
        for (long seq : acked) {
          print(out, "A " + seq + ".");
        }
      }
    });
    consumer.start();
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
