package dev.outpost.sim;

import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of a {@link FaultProxy}'s counters since it started. Immutable.
 *
 * @param connections client connections accepted
 * @param openConnections client connections open right now
 * @param requests HTTP requests read from clients (whatever happened to them)
 * @param bytesUp bytes forwarded client to server
 * @param bytesDown bytes forwarded server to client
 * @param upstreamFailures connects to the target that failed (the client was cut)
 * @param faults faults injected by kind; {@code PASS} counts requests forwarded untouched;
 *     {@code LOSE_ANSWER} counts answers actually swallowed; {@code REFUSE} counts connections
 *     cut or reset because the link was down
 */
public record ProxyStats(
    long connections,
    int openConnections,
    long requests,
    long bytesUp,
    long bytesDown,
    long upstreamFailures,
    Map<Fault.Kind, Long> faults) {

  public ProxyStats {
    EnumMap<Fault.Kind, Long> copy = new EnumMap<>(Fault.Kind.class);
    for (Fault.Kind k : Fault.Kind.values()) {
      copy.put(k, faults.getOrDefault(k, 0L));
    }
    faults = Map.copyOf(copy);
  }

  /** How many times a fault of this kind was injected. */
  public long faults(Fault.Kind kind) {
    return faults.get(kind);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder()
        .append("connections=").append(connections).append(" (open ").append(openConnections)
        .append("), requests=").append(requests).append(", up=").append(bytesUp)
        .append(" B, down=").append(bytesDown).append(" B, upstreamFailures=")
        .append(upstreamFailures).append(", faults={");
    boolean first = true;
    for (Fault.Kind k : Fault.Kind.values()) {
      if (k != Fault.Kind.PASS && faults.get(k) > 0) {
        sb.append(first ? "" : ", ").append(k).append('=').append(faults.get(k));
        first = false;
      }
    }
    return sb.append("}").toString();
  }
}
