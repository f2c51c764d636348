package dev.outpost.core.wire;

/**
 * Names of wire protocol v1 that both ends use: paths and HTTP headers. The edge's transport
 * and the server's routes read them from here, so a rename cannot split them (docs/protocol.md
 * describes each).
 */
public final class Protocol {
  private Protocol() {}

  /** {@code POST}: one batch of records in, one result per record out. */
  public static final String INGEST_PATH = "/v1/ingest";
  /** {@code GET}: liveness, no authentication; the link monitor's probe. */
  public static final String HEALTHZ_PATH = "/healthz";
  /** {@code POST}: the device's connection health report (small JSON). */
  public static final String HEALTH_PATH = "/v1/health";

  /** Request: the batch's name, unique for the device across restarts ("Chained sends"). */
  public static final String BATCH_HEADER = "Outpost-Batch";
  /** Request: the batch the server must have committed before it stores this one. */
  public static final String AFTER_HEADER = "Outpost-After";
  /** Answer: "1" when the server honours {@link #AFTER_HEADER}. */
  public static final String CHAIN_HEADER = "Outpost-Chain";

  /**
   * The topic of a record that carries a replicated-document op ({@code dev.outpost.core.sync.SyncJson}
   * in its payload): the server merges it into the document store in the same transaction as the
   * record's dedupe, or rejects the record with the rule it breaks.
   */
  public static final String SYNC_TOPIC = "$sync";
}
