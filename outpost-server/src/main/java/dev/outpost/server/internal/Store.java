package dev.outpost.server.internal;

/**
 * What the server needs from a store, in three narrow parts: its records ({@link MessageStore},
 * which this extends), its devices ({@link #devices()}), the admin token hash
 * ({@link #adminTokens()}) and the replicated documents ({@link #docs()}). SQLite and PostgreSQL implement it and pass the same contract tests.
 * Every write returns only after its transaction is durably committed. Implementations are
 * thread-safe. A failing write throws {@link StoreException} and leaves nothing of itself behind
 * (the transaction rolls back).
 */
public interface Store extends MessageStore, AutoCloseable {

  DeviceStore devices();

  AdminTokenStore adminTokens();

  /** The replicated documents and their change feed. */
  DocStore docs();

  /** Throws {@link StoreException} if the store cannot be reached. */
  void ping();

  @Override
  void close();
}
