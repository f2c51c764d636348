package dev.outpost.edge;

import java.util.Collection;
import java.util.List;

/**
 * The dead-letter admin of the {@link Outbox}: records the server refused for good, kept with its
 * reason until an operator retries or purges them. Every purge is counted in
 * {@link OutboxStats}. Thread-safe.
 */
public interface DeadLetters {

  /** Dead letters after {@code afterSeq}, by seq, at most {@code limit}. */
  List<DeadLetter> deadLetters(long afterSeq, int limit);

  /** Moves dead letters back to pending with a fresh attempt count; returns how many moved. */
  int retryDeadLetters(Collection<Long> seqs);

  /** Deletes dead letters for good (counted in stats); returns how many were deleted. */
  int purgeDeadLetters(Collection<Long> seqs);
}
