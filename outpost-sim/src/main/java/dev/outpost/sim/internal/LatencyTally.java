package dev.outpost.sim.internal;

import dev.outpost.core.MessageId;
import dev.outpost.sim.DemoReport;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Delivery latency of stored records, {@code receivedAt − ts} (server receive time minus the
 * outbox's append time, both epoch millis on this machine), kept apart for alerts (topics under
 * {@code alerts/}) and telemetry. A stored duplicate is counted once. Not thread-safe: one walk.
 */
public final class LatencyTally {
  private final Set<MessageId> seen = new HashSet<>();
  private long[] alerts = new long[256];
  private int alertCount;
  private long[] telemetry = new long[4096];
  private int telemetryCount;

  public void add(StoredRecord r) {
    if (r.ts() < 0 || r.receivedAt() < 0 || !seen.add(r.id())) {
      return;
    }
    long millis = Math.max(0, r.receivedAt() - r.ts());
    if (r.topic().startsWith("alerts/")) {
      if (alertCount == alerts.length) {
        alerts = Arrays.copyOf(alerts, alerts.length * 2);
      }
      alerts[alertCount++] = millis;
    } else {
      if (telemetryCount == telemetry.length) {
        telemetry = Arrays.copyOf(telemetry, telemetry.length * 2);
      }
      telemetry[telemetryCount++] = millis;
    }
  }

  public DemoReport.Latency alerts() {
    return of(alerts, alertCount);
  }

  public DemoReport.Latency telemetry() {
    return of(telemetry, telemetryCount);
  }

  /** Nearest-rank percentiles of the first {@code n} values. */
  static DemoReport.Latency of(long[] values, int n) {
    if (n == 0) {
      return new DemoReport.Latency(0, Duration.ZERO, Duration.ZERO, Duration.ZERO);
    }
    long[] sorted = Arrays.copyOf(values, n);
    Arrays.sort(sorted);
    return new DemoReport.Latency(n, Duration.ofMillis(rank(sorted, 0.50)),
        Duration.ofMillis(rank(sorted, 0.99)), Duration.ofMillis(sorted[n - 1]));
  }

  private static long rank(long[] sorted, double p) {
    int i = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
