package dev.outpost.edge;

import dev.outpost.core.Message;
import java.util.List;

/**
 * A leased batch: records of one store ({@code epoch}), in drain order. {@code attempts} holds,
 * per message, how many times it was leased before this lease (0 on the first try).
 */
public record Lease(long epoch, List<Message> messages, int[] attempts) {
  public Lease {
    messages = List.copyOf(messages);
  }

  public boolean isEmpty() {
    return messages.isEmpty();
  }

  public int size() {
    return messages.size();
  }

  public List<Long> seqs() {
    return messages.stream().map(Message::seq).toList();
  }
}
