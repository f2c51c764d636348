package dev.outpost.edge;

import java.nio.file.Path;

/**
 * The durable, local store every record enters before any network is tried. It has three
 * sides, each a small interface of its own: the producers' {@link Appender}, the sync engine's
 * {@link Drain}, and the operators' {@link DeadLetters}. Hand each part of a program only the
 * side it needs.
 *
 * <p><b>Durability:</b> an append returns (or its future completes) only after the record is in
 * a committed, fsync'd SQLite transaction. Concurrent appends share one commit (group commit).
 *
 * <p><b>Identity:</b> the store has a random {@link #epoch()} fixed when it is created; each
 * record gets the next {@code seq}, never reused, also across crashes.
 *
 * <p>Thread-safe. Implementations live in {@code dev.outpost.edge.internal}.
 */
public interface Outbox extends Appender, Drain, DeadLetters, AutoCloseable {

  /** Opens (creating if needed) the store in {@code dir}. */
  static Outbox open(Path dir, OutboxConfig config) {
    return dev.outpost.edge.internal.SqliteOutbox.open(dir, config);
  }

  /**
   * Runs housekeeping now, to the end (expiry, lease timeouts, space reclaim), in bounded runs
   * that let appends and acks in between; it also runs on a timer.
   */
  void housekeep();

  /** Flushes pending group commits, stops housekeeping, closes the database. Idempotent. */
  @Override
  void close();
}
