package dev.outpost.sim;

import java.util.Objects;

/**
 * One fault a {@link FaultProxy} can inject, with its parameters. Immutable; build with the
 * static factories ({@link #pass()}, {@link #refuse()}, …).
 *
 * @param kind what happens to a request
 * @param status the HTTP status answered by {@link Kind#HTTP_STATUS}, else 0
 * @param retryAfterSeconds the {@code Retry-After} header sent with {@link Kind#HTTP_STATUS},
 *     or -1 for none
 * @param bytesPerSecond the rate of {@link Kind#TRICKLE} in each direction, else 0
 */
public record Fault(Kind kind, int status, int retryAfterSeconds, int bytesPerSecond) {

  /** What the proxy does to a request (or, for {@link #REFUSE}, to the whole link). */
  public enum Kind {
    /** Forward both ways. */
    PASS,
    /** New connections are refused (the listener is closed); open connections are cut. */
    REFUSE,
    /**
     * Forward part of the request (the head and half the body, or half the head when there is
     * no body), then reset both sides with a TCP RST.
     */
    RESET,
    /** Accept and read, never forward and never answer: the client must time out. */
    BLACKHOLE,
    /** Forward both ways at a few bytes per second, in small chunks. */
    TRICKLE,
    /** Answer the request itself with an HTTP error status, never forwarding it. */
    HTTP_STATUS,
    /** Forward the request, let the server commit and answer, then RST the client unanswered. */
    LOSE_ANSWER
  }

  public Fault {
    Objects.requireNonNull(kind, "kind");
    if (kind == Kind.HTTP_STATUS) {
      if (status < 400 || status > 599) {
        throw new IllegalArgumentException("status must be 400..599 for HTTP_STATUS, was " + status);
      }
    } else if (status != 0) {
      throw new IllegalArgumentException("status is only allowed with HTTP_STATUS, was " + status);
    }
    if (retryAfterSeconds < -1 || (retryAfterSeconds >= 0 && kind != Kind.HTTP_STATUS)) {
      throw new IllegalArgumentException(
          "retryAfterSeconds must be -1 (none), or >= 0 with HTTP_STATUS, was " + retryAfterSeconds);
    }
    if (kind == Kind.TRICKLE ? bytesPerSecond < 1 : bytesPerSecond != 0) {
      throw new IllegalArgumentException(
          "bytesPerSecond must be >= 1 for TRICKLE and 0 otherwise, was " + bytesPerSecond);
    }
  }

  public static Fault pass() {
    return new Fault(Kind.PASS, 0, -1, 0);
  }

  public static Fault refuse() {
    return new Fault(Kind.REFUSE, 0, -1, 0);
  }

  public static Fault reset() {
    return new Fault(Kind.RESET, 0, -1, 0);
  }

  public static Fault blackhole() {
    return new Fault(Kind.BLACKHOLE, 0, -1, 0);
  }

  public static Fault trickle(int bytesPerSecond) {
    return new Fault(Kind.TRICKLE, 0, -1, bytesPerSecond);
  }

  public static Fault httpStatus(int status) {
    return new Fault(Kind.HTTP_STATUS, status, -1, 0);
  }

  public static Fault httpStatus(int status, int retryAfterSeconds) {
    return new Fault(Kind.HTTP_STATUS, status, retryAfterSeconds, 0);
  }

  public static Fault loseAnswer() {
    return new Fault(Kind.LOSE_ANSWER, 0, -1, 0);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case HTTP_STATUS -> "HTTP_STATUS(" + status
          + (retryAfterSeconds >= 0 ? ", Retry-After " + retryAfterSeconds + "s" : "") + ")";
      case TRICKLE -> "TRICKLE(" + bytesPerSecond + " B/s)";
      default -> kind.name();
    };
  }
}
