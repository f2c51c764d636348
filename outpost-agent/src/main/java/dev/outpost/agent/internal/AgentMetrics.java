package dev.outpost.agent.internal;

import dev.outpost.core.Priority;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxStats;
import dev.outpost.agent.UplinkStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The agent's Prometheus metrics. Outbox gauges read one {@link OutboxStats} snapshot taken at
 * the start of each scrape (stats are cheap, no table scans), so a scrape is consistent.
 * Thread-safe.
 */
public final class AgentMetrics {
  private static final List<String> LINK_STATES =
      List.of("ONLINE", "DEGRADED", "TRANSITIONING", "OFFLINE", "STOPPED");

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicReference<OutboxStats> snapshot = new AtomicReference<>();
  private final AtomicReference<UplinkStatus> uplinkSnapshot = new AtomicReference<>(UplinkStatus.stopped());
  private final Outbox outbox;
  private final Supplier<UplinkStatus> uplink;
  private final Map<Priority, Counter> published = new EnumMap<>(Priority.class);
  private final Counter rejectedFull;
  private final Counter rejectedInvalid;

  public AgentMetrics(Outbox outbox, Supplier<UplinkStatus> uplink) {
    this.outbox = outbox;
    this.uplink = uplink;
    for (Priority p : Priority.values()) {
      published.put(p, Counter.builder("outpost_agent_published_records")
          .description("Records accepted by the local API (durable)").tag("priority", p.name())
          .register(registry));
      gauge("outpost_outbox_pending_records", "Records waiting for delivery", p,
          s -> s.pendingCount().getOrDefault(p, 0L));
      gauge("outpost_outbox_pending_bytes", "Payload bytes waiting for delivery", p,
          s -> s.pendingBytes().getOrDefault(p, 0L));
    }
    rejectedFull = Counter.builder("outpost_agent_rejected_records").tag("reason", "outbox_full")
        .description("Records the local API refused").register(registry);
    rejectedInvalid = Counter.builder("outpost_agent_rejected_records").tag("reason", "invalid")
        .description("Records the local API refused").register(registry);
    gauge("outpost_outbox_in_flight_records", "Records leased to an uplink batch", null, OutboxStats::inFlight);
    gauge("outpost_outbox_dead_letters", "Records in the dead-letter table", null, OutboxStats::deadLetters);
    gauge("outpost_outbox_bytes_used", "Bytes the store uses on disk", null, OutboxStats::bytesUsed);
    gauge("outpost_outbox_budget_bytes", "The configured byte budget", null, OutboxStats::budgetBytes);
    gauge("outpost_outbox_oldest_pending_age_seconds", "Age of the oldest pending record", null,
        s -> s.oldestPendingAgeMillis() / 1000.0);
    gauge("outpost_outbox_evicted_total", "LOW records evicted to make room, ever", null, OutboxStats::evicted);
    gauge("outpost_outbox_expired_total", "Records expired by TTL, ever", null, OutboxStats::expired);
    gauge("outpost_outbox_dead_lettered_total", "Records moved to dead letters, ever", null,
        OutboxStats::deadLettered);
    for (String state : LINK_STATES) {
      Gauge.builder("outpost_link_state", uplinkSnapshot, u -> state.equals(u.get().linkState()) ? 1 : 0)
          .description("1 for the uplink's current link state").tag("state", state).register(registry);
    }
    Gauge.builder("outpost_uplink_auth_problem", uplinkSnapshot, u -> u.get().authProblem() ? 1 : 0)
        .description("1 while the server refuses the device token").register(registry);
    Gauge.builder("outpost_uplink_delivered_records", uplinkSnapshot, u -> u.get().delivered())
        .description("Records the server stored (or had) since start").register(registry);
  }

  private void gauge(String name, String help, Priority p, ToDoubleFunction<OutboxStats> f) {
    Gauge.Builder<AtomicReference<OutboxStats>> b = Gauge.builder(name, snapshot,
        ref -> ref.get() == null ? Double.NaN : f.applyAsDouble(ref.get())).description(help);
    if (p != null) {
      b.tag("priority", p.name());
    }
    b.register(registry);
  }

  public void published(Priority p, int records) {
    published.get(p).increment(records);
  }

  public void rejectedFull(int records) {
    rejectedFull.increment(records);
  }

  public void rejectedInvalid(int records) {
    rejectedInvalid.increment(records);
  }

  /** The Prometheus text exposition, after refreshing the snapshots. */
  public String scrape() {
    try {
      snapshot.set(outbox.stats());
    } catch (RuntimeException e) {
      snapshot.set(null); // closed store: gauges read NaN rather than failing the scrape
    }
    uplinkSnapshot.set(uplink.get());
    return registry.scrape();
  }
}
