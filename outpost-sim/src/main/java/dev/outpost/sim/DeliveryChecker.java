package dev.outpost.sim;

import dev.outpost.sim.internal.DeliveryTally;
import dev.outpost.sim.internal.ReadBack;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;

/**
 * Checks the end-to-end promise: everything the edge acknowledged is stored on the server
 * exactly once, in seq order within each (device, epoch, topic, priority) lane. Reads the
 * server's records through its read-back API (see {@link ReadBack}) and compares them with an
 * {@link AckLedger}; the result is a {@link DeliveryReport}.
 *
 * <pre>
 * AckLedger acks = AckLedger.appendingTo(dir.resolve("acks.jsonl")); // producers: acks.acknowledged(...)
 * DeliveryReport report = DeliveryChecker.builder(URI.create(server.url()), adminToken).build()
 *     .check(AckLedger.read(dir.resolve("acks.jsonl")));
 * assertThat(report.ok()).as(report.toString()).isTrue();
 * </pre>
 *
 * <p>Immutable and thread-safe; each {@link #check} makes its own HTTP client and closes it. It
 * only reads: the server and the ledger are left as they were. Memory grows with the number of
 * stored records (one map entry per id), fine for test and demo volumes.
 */
public final class DeliveryChecker {
  private final URI server;
  private final String adminToken;
  private final int pageSize;
  private final Duration requestTimeout;
  private final long maxRecords;

  private DeliveryChecker(Builder b) {
    this.server = b.server;
    this.adminToken = b.adminToken;
    this.pageSize = b.pageSize;
    this.requestTimeout = b.requestTimeout;
    this.maxRecords = b.maxRecords;
  }

  /** A checker for the server at {@code server} (e.g. {@code http://127.0.0.1:8080}). */
  public static Builder builder(URI server, String adminToken) {
    return new Builder(server, adminToken);
  }

  /** Reads every stored record and compares it with the ledger's acknowledgements. */
  public DeliveryReport check(AckLedger ledger) throws IOException, InterruptedException {
    Objects.requireNonNull(ledger, "ledger");
    DeliveryTally tally = new DeliveryTally();
    try (HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(requestTimeout)
        .build()) {
      new ReadBack(http, server, adminToken, pageSize, requestTimeout, maxRecords)
          .readAll(tally::add);
    }
    return tally.report(ledger.entries());
  }

  /** Settings; setters validate and name the wrong value. Not thread-safe. */
  public static final class Builder {
    private final URI server;
    private final String adminToken;
    private int pageSize = 1000;
    private Duration requestTimeout = Duration.ofSeconds(10);
    private long maxRecords = 10_000_000;

    private Builder(URI server, String adminToken) {
      this.server = Objects.requireNonNull(server, "server");
      if (!"http".equals(server.getScheme()) && !"https".equals(server.getScheme())) {
        throw new IllegalArgumentException("server must be an http(s) URI, was " + server);
      }
      if (adminToken == null || adminToken.isBlank()) {
        throw new IllegalArgumentException("adminToken is missing");
      }
      this.adminToken = adminToken;
    }

    public Builder pageSize(int pageSize) {
      if (pageSize < 1 || pageSize > 10_000) {
        throw new IllegalArgumentException("pageSize must be 1..10000, was " + pageSize);
      }
      this.pageSize = pageSize;
      return this;
    }

    public Builder requestTimeout(Duration requestTimeout) {
      if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be > 0, was " + requestTimeout);
      }
      this.requestTimeout = requestTimeout;
      return this;
    }

    /** A safety stop: the walk fails beyond this many records. */
    public Builder maxRecords(long maxRecords) {
      if (maxRecords < 1) {
        throw new IllegalArgumentException("maxRecords must be >= 1, was " + maxRecords);
      }
      this.maxRecords = maxRecords;
      return this;
    }

    public DeliveryChecker build() {
      return new DeliveryChecker(this);
    }
  }
}
