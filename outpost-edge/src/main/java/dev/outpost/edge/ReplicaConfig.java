package dev.outpost.edge;

import dev.outpost.core.Priority;
import dev.outpost.core.sync.CollectionRules;
import dev.outpost.core.sync.HlcClock;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link Replica} needs: the device id (its ops' node ids start with it, as the server
 * checks), the collections it keeps with their rules (the server's sync config for them) and the
 * priority of their ops in the outbox (HIGH unless set). Immutable.
 */
public final class ReplicaConfig {
  /** One collection: its rules and its ops' priority. */
  public record Collection(CollectionRules rules, Priority priority) {
    public Collection {
      Objects.requireNonNull(rules, "rules");
      Objects.requireNonNull(priority, "priority");
    }
  }

  private final String device;
  private final Map<String, Collection> collections;
  private final Clock clock;
  private final Duration maxSkew;

  private ReplicaConfig(Builder b) {
    this.device = b.device;
    this.collections = Map.copyOf(b.collections);
    this.clock = b.clock;
    this.maxSkew = b.maxSkew;
  }

  public static Builder builder(String device) {
    return new Builder(device);
  }

  public String device() {
    return device;
  }

  public Map<String, Collection> collections() {
    return collections;
  }

  public Clock clock() {
    return clock;
  }

  /** How far ahead a pulled time may be before it is not adopted by the local clock. */
  public Duration maxSkew() {
    return maxSkew;
  }

  public static final class Builder {
    private final String device;
    private final Map<String, Collection> collections = new LinkedHashMap<>();
    private Clock clock = Clock.systemUTC();
    private Duration maxSkew = HlcClock.DEFAULT_MAX_SKEW;

    private Builder(String device) {
      if (device == null || device.isBlank()) {
        throw new IllegalArgumentException("a replica needs the device id");
      }
      this.device = device;
    }

    /** A collection whose ops go up at HIGH priority. */
    public Builder collection(CollectionRules rules) {
      return collection(rules, Priority.HIGH);
    }

    public Builder collection(CollectionRules rules, Priority priority) {
      collections.put(rules.name(), new Collection(rules, priority));
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder maxSkew(Duration maxSkew) {
      this.maxSkew = Objects.requireNonNull(maxSkew, "maxSkew");
      return this;
    }

    public ReplicaConfig build() {
      return new ReplicaConfig(this);
    }
  }
}
