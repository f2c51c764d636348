package dev.outpost.edge.sync;

import dev.outpost.core.sync.PullPage;
import java.io.IOException;
import java.time.Duration;

/**
 * Where a device pulls the server's change feed from ({@code GET /v1/sync/pull} over HTTP:
 * {@link dev.outpost.edge.http.HttpChangeFeed}). The seam beside {@link Transport} for the
 * downlink, so another protocol can carry it. Implementations are thread-safe.
 */
public interface ChangeFeed extends AutoCloseable {

  /**
   * The changes after {@code cursor} (null: from the start), at most about {@code limit}; when
   * there are none, waits up to {@code wait} for one.
   *
   * @throws IOException when the server could not be reached or answered with a transient error
   *     (retry with backoff)
   * @throws Refused when the server refused the pull for good (a cursor it does not know, a token
   *     it does not accept)
   */
  PullPage pull(String cursor, int limit, Duration wait) throws IOException;

  @Override
  void close();

  /** The server refused the pull: retrying the same request will not help. */
  final class Refused extends RuntimeException {
    private final int status;
    private final String code;

    public Refused(int status, String code, String message) {
      super(message);
      this.status = status;
      this.code = code;
    }

    /** The HTTP status (400, 401, 403, …). */
    public int status() {
      return status;
    }

    /** The server's error code, e.g. {@code bad_cursor}. */
    public String code() {
      return code;
    }

    /** The cursor is not one the server recognises: pull the whole subscription again. */
    public boolean badCursor() {
      return "bad_cursor".equals(code);
    }
  }
}
