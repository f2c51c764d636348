package dev.outpost.edge.sync.internal;

import dev.outpost.core.Backoff;
import dev.outpost.edge.sync.ErrorKind;
import dev.outpost.edge.sync.SendOutcome;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the sync engine may send again, and what went wrong last: the retry backoff (reset on
 * success), the server's Retry-After, the pause after 401/403/415 (one try per interval), and
 * the batch size learned from 413 answers (doubled again after {@code growAfter} successful
 * batches; a grown size the server refuses again makes the next wait twice as long,
 * so a fixed server limit costs ever rarer 413s). Logs a failure streak and a pause once, when they
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
  /** Most records per batch since a 413; {@link Integer#MAX_VALUE} when nothing was refused. */
  private int learnedMaxRecords = Integer.MAX_VALUE;
  private int growAfter;
  private int successesSinceTooLarge;
  private boolean grownSinceTooLarge;
  private ErrorKind lastErrorKind;
  private String lastError;
  private Instant lastErrorAt;
  private Instant lastSuccess;

  /**
   * @param growAfter successful batches after which a batch size learned from a 413
   *     doubles again (>= 1)
   */
  public RetryGate(Backoff backoff, Duration pauseInterval, int growAfter) {
    if (growAfter < 1) {
      throw new IllegalArgumentException("growAfter < 1: " + growAfter);
    }
    this.backoff = backoff;
    this.pauseInterval = pauseInterval;
    this.growAfter = growAfter;
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
    if (grownSinceTooLarge) {
      growAfter = (int) Math.min(2L * growAfter, 1 << 16); // the grown size was too much again
    }
    grownSinceTooLarge = false;
    successesSinceTooLarge = 0;
    int before = learnedMaxRecords;
    learnedMaxRecords = Math.min(learnedMaxRecords, size / 2 + 1);
    if (learnedMaxRecords < before) {
      LOG.info("server refused a batch of {} records as too large: batches of at most {} now, "
          + "doubling after {} successful ones", size, learnedMaxRecords, growAfter);
    }
  }

  /** Successful batches needed before a learned batch size doubles now. */
  public synchronized int growAfter() {
    return growAfter;
  }

  public synchronized void succeeded(Instant now) {
    if (learnedMaxRecords != Integer.MAX_VALUE && ++successesSinceTooLarge >= growAfter) {
      successesSinceTooLarge = 0;
      grownSinceTooLarge = true;
      learnedMaxRecords = learnedMaxRecords > Integer.MAX_VALUE / 2 ? Integer.MAX_VALUE : learnedMaxRecords * 2;
    }
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
