package dev.outpost.edge;

import dev.outpost.core.Batch;

/**
 * The seam between the sync engine and the network. {@link HttpTransport} is the one
 * implementation today (MQTT may follow). Implementations are thread-safe: the engine sends
 * several batches at once. No method throws for network or server trouble: failures come back
 * classified.
 */
public interface Transport extends AutoCloseable {

  /** Sends one batch and waits for the answer (bounded by the transport's timeouts). */
  SendOutcome send(Batch batch);

  /** A batch with the work of sending it that needs no network (encoding, compression) done. */
  record Prepared(Batch batch, byte[] body) {}

  /**
   * Does the part of {@link #send} that needs no network ahead of time, so the engine can run
   * it while earlier batches of the same lanes are still on their way. Never throws: when that
   * work fails, {@link #send(Prepared)} does it again and reports the failure. Default: nothing
   * is done ahead.
   */
  default Prepared prepare(Batch batch) {
    return new Prepared(batch, null);
  }

  /** Sends a batch {@link #prepare}d before; the same as {@code send(prepared.batch())}. */
  default SendOutcome send(Prepared prepared) {
    return send(prepared.batch());
  }

  /**
   * A batch's name and the batch the server must have committed before it stores this one
   * (docs/protocol.md, "Chained sends").
   *
   * @param id this batch's name, unique for the device across restarts
   * @param after the name of the batch that must be committed first, or null
   */
  record Chain(String id, String after) {}

  /**
   * As {@link #send(Prepared)}, naming the batch for the server's ordering of chained sends.
   * Default (a transport without chaining): the chain is ignored, which is safe only because
   * {@link #chains()} then says false and the engine never names an {@code after}.
   */
  default SendOutcome send(Prepared prepared, Chain chain) {
    return send(prepared);
  }

  /**
   * True once the server said (on its last ingest answer) that it honours {@code after}: the
   * engine may then send a batch before its predecessor of the same lanes has been answered.
   */
  default boolean chains() {
    return false;
  }

  /** A light liveness check (the server's {@code /healthz}); never throws. */
  SendOutcome probe();

  /** Reports the device's connection health (a small JSON object); true if the server took it. */
  boolean reportHealth(byte[] json);

  /** Requests made so far (ingest, probes and health reports). */
  long requests();

  /** Bytes written to the network so far: request bodies as sent (compressed) plus headers. */
  long bytesSent();

  @Override
  void close();
}
