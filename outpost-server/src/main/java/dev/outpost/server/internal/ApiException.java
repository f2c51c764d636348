package dev.outpost.server.internal;

/**
 * An HTTP answer other than success, with the status, a stable machine-readable code and a
 * message naming what to fix. Sent as {@code {"error":{"code":"...","message":"..."}}}.
 */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final int retryAfterSeconds;

  public ApiException(int status, String code, String message) {
    this(status, code, message, 0);
  }

  public ApiException(int status, String code, String message, int retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** Seconds for a Retry-After header, or 0 for none. */
  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }

  static ApiException unauthorized(String what) {
    return new ApiException(401, "unauthorized", what);
  }

  static ApiException badRequest(String code, String message) {
    return new ApiException(400, code, message);
  }
}
