package dev.outpost.server.testing;

import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test batches with predictable content: record seq s of a device has payload "device:epoch:s". */
public final class Batches {
  private Batches() {}

  public static Message message(String device, long epoch, long seq) {
    return new Message(seq, "t/" + (seq % 3), Priority.values()[(int) (seq % 4)], 1_700_000_000_000L + seq,
        seq % 2 == 0 ? Map.of("k", "v" + seq) : Map.of(),
        (device + ":" + epoch + ":" + seq).getBytes(StandardCharsets.UTF_8));
  }

  /** Records firstSeq .. firstSeq+count-1. */
  public static Batch batch(String device, long epoch, long firstSeq, int count) {
    List<Message> ms = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ms.add(message(device, epoch, firstSeq + i));
    }
    return new Batch(device, epoch, ms);
  }
}
