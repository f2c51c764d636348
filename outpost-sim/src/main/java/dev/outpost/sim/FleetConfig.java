package dev.outpost.sim;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Immutable settings of a {@link FleetDemo} run. Build with {@link #builder(long)}; every setter
 * validates and names the wrong value.
 *
 * @param devices how many simulated devices (each its own outbox and sync engine), 1..{@value
 *     #MAX_DEVICES}
 * @param duration how long the devices produce readings before the network is healed
 * @param chaos whether each device's link goes through a bad day ({@link ChaosSchedule})
 * @param seed the root of every random choice (sensor walks, chaos phases, jitter), so a run's
 *     inputs can be replayed
 * @param dataDir where the server and the outboxes keep their files; null for a fresh temp
 *     directory deleted at the end (a given directory is kept)
 * @param drainTimeout how long, after healing, to wait for every outbox to drain
 * @param readingMin shortest gap between two readings of a device
 * @param readingMax longest gap between two readings of a device
 */
public record FleetConfig(
    int devices,
    Duration duration,
    boolean chaos,
    long seed,
    Path dataDir,
    Duration drainTimeout,
    Duration readingMin,
    Duration readingMax) {

  public static final int MAX_DEVICES = 500;
  public static final Duration MAX_DURATION = Duration.ofHours(1);

  public FleetConfig {
    checkDevices(devices);
    checkDuration("duration", duration);
    checkDuration("drainTimeout", drainTimeout);
    checkReading(readingMin, readingMax);
  }

  public static Builder builder(long seed) {
    return new Builder(seed);
  }

  public Builder newBuilder() {
    return new Builder(seed).devices(devices).duration(duration).chaos(chaos).dataDir(dataDir)
        .drainTimeout(drainTimeout).readingInterval(readingMin, readingMax);
  }

  private static void checkDevices(int devices) {
    if (devices < 1 || devices > MAX_DEVICES) {
      throw new IllegalArgumentException("devices must be 1.." + MAX_DEVICES + ", was " + devices);
    }
  }

  private static void checkDuration(String name, Duration d) {
    if (d == null || d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException(name + " must be 1 s .. 1 h, was " + d);
    }
  }

  private static void checkReading(Duration min, Duration max) {
    Objects.requireNonNull(min, "readingMin");
    Objects.requireNonNull(max, "readingMax");
    if (min.compareTo(Duration.ofMillis(10)) < 0 || max.compareTo(min) < 0
        || max.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException(
          "reading interval must satisfy 10 ms <= min <= max <= 1 min, was " + min + ".." + max);
    }
  }

  /** Builder with validating setters. Not thread-safe. */
  public static final class Builder {
    private final long seed;
    private int devices = 20;
    private Duration duration = Duration.ofSeconds(45);
    private boolean chaos = true;
    private Path dataDir;
    private Duration drainTimeout = Duration.ofSeconds(60);
    private Duration readingMin = Duration.ofMillis(250);
    private Duration readingMax = Duration.ofMillis(500);

    private Builder(long seed) {
      this.seed = seed;
    }

    public Builder devices(int devices) {
      checkDevices(devices);
      this.devices = devices;
      return this;
    }

    public Builder duration(Duration duration) {
      checkDuration("duration", duration);
      this.duration = duration;
      return this;
    }

    public Builder chaos(boolean chaos) {
      this.chaos = chaos;
      return this;
    }

    /** Keep the run's files in {@code dir} (created if missing); null means a temp directory. */
    public Builder dataDir(Path dir) {
      this.dataDir = dir;
      return this;
    }

    public Builder drainTimeout(Duration drainTimeout) {
      checkDuration("drainTimeout", drainTimeout);
      this.drainTimeout = drainTimeout;
      return this;
    }

    public Builder readingInterval(Duration min, Duration max) {
      checkReading(min, max);
      this.readingMin = min;
      this.readingMax = max;
      return this;
    }

    public FleetConfig build() {
      return new FleetConfig(devices, duration, chaos, seed, dataDir, drainTimeout, readingMin, readingMax);
    }
  }
}
