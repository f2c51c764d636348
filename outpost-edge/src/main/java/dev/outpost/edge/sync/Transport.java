package dev.outpost.edge.sync;

import dev.outpost.core.Batch;

/**
 * The seam between the sync engine and the network: {@link #prepare} does the work that needs no
 * network (encoding, compression), {@link #send} puts a prepared batch on the wire and waits for
 * the server's answer. The engine prepares a batch while earlier batches of the same lanes are
 * still travelling, so that work overlaps with the network.
 *
 * <p>{@code dev.outpost.edge.http.HttpTransport} is the one implementation today; an MQTT one
 * belongs in a package of its own beside it. Implementations are thread-safe (the engine sends
 * several batches at once), and no method throws for network or server trouble: failures come
 * back classified as a {@link SendOutcome}.
 */
public interface Transport extends AutoCloseable {

  /** A batch with the work of sending it that needs no network done; {@code body} null if that failed. */
  record Prepared(Batch batch, byte[] body) {}

  /**
   * A batch's name and the batch the server must have committed before it stores this one
   * (docs/protocol.md, "Chained sends").
   *
   * @param id this batch's name, unique for the device across restarts
   * @param after the name of the batch that must be committed first, or null
   */
  record Chain(String id, String after) {}

  /**
   * Encodes and compresses {@code batch} ahead of sending. Never throws: when that work fails,
   * the body is null, and {@link #send} does it again and reports the failure as a
   * {@link ErrorKind#LOCAL} outcome.
   */
  Prepared prepare(Batch batch);

  /**
   * Sends a prepared batch and waits for the answer (bounded by the transport's timeouts).
   *
   * @param chain null, or the batch's name and predecessor for the server's ordering of chained
   *     sends; the engine names an {@code after} only while {@link #chains()} is true
   */
  SendOutcome send(Prepared prepared, Chain chain);

  /**
   * True once the server said (on its last ingest answer) that it honours {@code after}: the
   * engine may then send a batch before its predecessor of the same lanes has been answered.
   */
  boolean chains();

  /** A light liveness check (the server's {@code /healthz}); never throws. */
  SendOutcome probe();

  /** Reports the device's connection health (a small JSON object); true if the server took it. */
  boolean reportHealth(byte[] json);

  /**
   * What went over the wire so far.
   *
   * @param requests requests made (ingest, probes and health reports, retries included)
   * @param bytesSent bytes written: request bodies as sent (compressed) plus request lines and headers
   */
  record Traffic(long requests, long bytesSent) {}

  Traffic traffic();

  @Override
  void close();
}
