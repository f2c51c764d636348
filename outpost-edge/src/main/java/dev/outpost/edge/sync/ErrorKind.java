package dev.outpost.edge.sync;

/** What went wrong with a request to the server, and so what the sync engine does about it. */
public enum ErrorKind {
  /** Connection refused, reset or closed before the answer: release and retry with backoff. */
  NETWORK(true, true),
  /** No answer within the request timeout (a black hole, a trickle): release and retry. */
  TIMEOUT(true, true),
  /** 5xx other than 503: release and retry with backoff. */
  SERVER_ERROR(true, true),
  /** 429 or 503: release and retry after the server's Retry-After (or the backoff). */
  THROTTLED(true, false),
  /** A 2xx answer that could not be read: release and retry. */
  PROTOCOL(true, true),
  /** 401/403: pause the uplink, show it in status, retry slowly; nothing is dead-lettered. */
  AUTH(false, false),
  /** 413: the batch is split; a single record that is still too large is dead-lettered. */
  TOO_LARGE(false, false),
  /** 400/422 for the whole batch: split to find the bad record, which is dead-lettered. */
  BAD_REQUEST(false, false),
  /** 415: the server does not take our encoding: pause like AUTH (a configuration problem). */
  UNSUPPORTED(false, false),
  /**
   * 409 {@code predecessor_not_stored}: a chained batch the server did not store because the
   * batch it names in {@code Outpost-After} failed. Release and send again; the predecessor's
   * own failure already set the backoff.
   */
  PREDECESSOR(true, false),
  /**
   * This device could not build or settle the batch (encoding, compression, the outbox): nothing
   * usable went on the wire. Release (or let the lease time out) and retry with backoff; the
   * message names what failed. Says nothing about the link.
   */
  LOCAL(true, false);

  private final boolean retryable;
  private final boolean linkFailure;

  ErrorKind(boolean retryable, boolean linkFailure) {
    this.retryable = retryable;
    this.linkFailure = linkFailure;
  }

  /** True when the same records are simply sent again later. */
  public boolean retryable() {
    return retryable;
  }

  /** True when this says the link (not the server's judgement) failed; feeds the link monitor. */
  public boolean linkFailure() {
    return linkFailure;
  }
}
