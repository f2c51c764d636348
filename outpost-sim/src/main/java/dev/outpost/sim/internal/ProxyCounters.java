package dev.outpost.sim.internal;

import dev.outpost.sim.Fault;
import dev.outpost.sim.ProxyStats;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The live counters of one proxy. Thread-safe (adders); {@link #snapshot} is not atomic. */
public final class ProxyCounters {
  final LongAdder connections = new LongAdder();
  final LongAdder requests = new LongAdder();
  final LongAdder bytesUp = new LongAdder();
  final LongAdder bytesDown = new LongAdder();
  final LongAdder upstreamFailures = new LongAdder();
  private final EnumMap<Fault.Kind, LongAdder> faults = new EnumMap<>(Fault.Kind.class);

  public ProxyCounters() {
    for (Fault.Kind k : Fault.Kind.values()) {
      faults.put(k, new LongAdder());
    }
  }

  public void connectionAccepted() {
    connections.increment();
  }

  public void fault(Fault.Kind kind) {
    faults.get(kind).increment();
  }

  public ProxyStats snapshot(int openConnections) {
    Map<Fault.Kind, Long> f = new EnumMap<>(Fault.Kind.class);
    faults.forEach((k, v) -> f.put(k, v.sum()));
    return new ProxyStats(
        connections.sum(), openConnections, requests.sum(), bytesUp.sum(), bytesDown.sum(),
        upstreamFailures.sum(), f);
  }
}
