package dev.outpost.server.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;

/**
 * The server's meters, scraped at {@code GET /metrics} in Prometheus text format:
 *
 * <pre>
 * outpost_http_requests_total{status="200"}           requests answered, by status code
 * outpost_records_total{outcome="stored|duplicate|rejected"}
 * outpost_store_commit_seconds_bucket{le=...}        ingest commit latency histogram
 * outpost_store_pending_records                       records waiting for the store
 * outpost_sync_conflicts_open                         conflicts of manual collections waiting for a person
 * outpost_sync_feed_head                              the change feed's last position
 * outpost_sync_ops_refused_at_merge_total             device ops checked at ingest but not applicable at merge
 * </pre>
 *
 * Thread-safe.
 */
public final class ServerMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter stored = records("stored");
  private final Counter duplicate = records("duplicate");
  private final Counter rejected = records("rejected");
  private final Timer commit =
      Timer.builder("outpost.store.commit")
          .description("time from handing a batch to the store until its commit returned")
          .publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofMillis(1))
          .maximumExpectedValue(Duration.ofSeconds(30))
          .register(registry);

  public ServerMetrics(Store store) {
    registry.gauge("outpost.store.pending.records", store, s -> s.pendingRecords());
  }

  /** The replicated documents' meters (read at each scrape). */
  public void sync(DocStore docs, SyncMerger merger) {
    io.micrometer.core.instrument.Gauge.builder("outpost.sync.conflicts.open", docs, d -> d.openConflicts())
        .description("conflicts of manual collections waiting for a person").register(registry);
    io.micrometer.core.instrument.Gauge.builder("outpost.sync.feed.head", docs, d -> d.feedHead())
        .description("the change feed's last position").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("outpost.sync.ops.refused.at.merge", merger,
        m -> m.refusedAtMerge())
        .description("device ops that passed the ingest check but could not be applied at merge (written over)")
        .register(registry);
  }

  private Counter records(String outcome) {
    return Counter.builder("outpost.records")
        .description("ingested records by outcome")
        .tag("outcome", outcome)
        .register(registry);
  }

  public void request(int status) {
    registry.counter("outpost.http.requests", "status", Integer.toString(status)).increment();
  }

  public void records(int storedCount, int duplicateCount, int rejectedCount) {
    stored.increment(storedCount);
    duplicate.increment(duplicateCount);
    rejected.increment(rejectedCount);
  }

  public void commit(long nanos) {
    commit.record(Duration.ofNanos(nanos));
  }

  public String scrape() {
    return registry.scrape();
  }
}
