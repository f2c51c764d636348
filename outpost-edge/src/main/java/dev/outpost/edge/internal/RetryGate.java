package dev.outpost.edge.internal;

import dev.outpost.core.Backoff;
import dev.outpost.edge.ErrorKind;
import dev.outpost.edge.SendOutcome;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the sync engine may send again, and what went wrong last: the retry backoff (reset on
 * success), the server's Retry-After, the pause after 401/403/415 (one try per interval), and
 * the batch size learned from 413 answers. Logs a failure streak and a pause once, when they
 * begin.
 *
 * <p>Thread-safe (all state under this object's monitor). In memory only: a restart forgets
 * the backoff, which is harmless.
 */
public final class RetryGate {
  private static final Logger LOG = LoggerFactory.getLogger(RetryGate.class);

  /** The gate's state for status. {@code nextAttemptAtMillis} is 0 when sending may go on now. */
  public record Snapshot(
      ErrorKind pausedBy, ErrorKind lastErrorKind, String lastError, Instant lastErrorAt,
      Instant lastSuccess, long nextAttemptAtMillis) {}

  private final Backoff backoff;
  private final Duration pauseInterval;
  private long notBeforeMillis;
  private int failedAttempts;
  private ErrorKind pausedBy;
  private long pausedUntilMillis;
  private int learnedMaxRecords = Integer.MAX_VALUE;
  private ErrorKind lastErrorKind;
  private String lastError;
  private Instant lastErrorAt;
  private Instant lastSuccess;

  public RetryGate(Backoff backoff, Duration pauseInterval) {
    this.backoff = backoff;
    this.pauseInterval = pauseInterval;
  }

  /**
   * 0 when a batch may be leased now as far as failures are concerned, else how long to wait.
   * Once a pause has run out, one probing batch goes at a time.
   */
  public synchronized long waitMillis(long nowMillis, int inFlight, long idleMillis) {
    if (pausedBy != null) {
      if (nowMillis < pausedUntilMillis) {
        return pausedUntilMillis - nowMillis;
      }
      return inFlight > 0 ? idleMillis : 0;
    }
    return Math.max(0, notBeforeMillis - nowMillis);
  }

  public synchronized boolean paused() {
    return pausedBy != null;
  }

  /** The batch size to lease: the configured one, or less after 413 answers. */
  public synchronized int maxRecords(int configured) {
    return Math.min(configured, learnedMaxRecords);
  }

  /** The server answered 413 for a part of {@code size} records: lease smaller batches. */
  public synchronized void tooLarge(int size) {
    learnedMaxRecords = Math.min(learnedMaxRecords, size / 2 + 1);
  }

  public synchronized void succeeded(Instant now) {
    failedAttempts = 0;
    notBeforeMillis = 0;
    lastSuccess = now;
    if (pausedBy != null) {
      LOG.info("uplink resumed: the server accepts this device again");
      pausedBy = null;
    }
  }

  /** A retryable failure: wait the server's Retry-After (429/503) or the next backoff. */
  public synchronized void failed(SendOutcome.Failed f, long nowMillis, Instant now) {
    noteError(f.kind(), f.message(), now);
    failedAttempts++;
    Duration delay = f.kind() == ErrorKind.THROTTLED && f.retryAfter() != null
        ? f.retryAfter()
        : backoff.delay(failedAttempts);
    notBeforeMillis = Math.max(notBeforeMillis, nowMillis + delay.toMillis());
    if (failedAttempts == 1) {
      LOG.info("uplink request failed ({}), retrying in {} ms: {}", f.kind(), delay.toMillis(), f.message());
    }
  }

  /** 401/403/415: pause the uplink; one try per interval until the server accepts again. */
  public synchronized void pause(SendOutcome.Failed f, long nowMillis, Instant now) {
    noteError(f.kind(), f.message(), now);
    if (pausedBy == null) {
      LOG.warn("uplink paused: {} ({}); nothing is dead-lettered, retrying every {}",
          f.message(), f.kind(), pauseInterval);
    }
    pausedBy = f.kind();
    pausedUntilMillis = nowMillis + pauseInterval.toMillis();
  }

  /** The link came back: drain at once, forget the backoff of the outage. */
  public synchronized void linkBack() {
    notBeforeMillis = 0;
    failedAttempts = 0;
  }

  /** Sends nothing before {@code untilMillis}. */
  public synchronized void hold(long untilMillis) {
    notBeforeMillis = Math.max(notBeforeMillis, untilMillis);
  }

  public synchronized void noteError(ErrorKind kind, String message, Instant at) {
    lastErrorKind = kind;
    lastError = message;
    lastErrorAt = at;
  }

  public synchronized Snapshot snapshot(long nowMillis) {
    long gate = Math.max(notBeforeMillis, pausedBy != null ? pausedUntilMillis : 0);
    return new Snapshot(pausedBy, lastErrorKind, lastError, lastErrorAt, lastSuccess,
        gate > nowMillis ? gate : 0);
  }
}
