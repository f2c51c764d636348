package dev.outpost.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A probabilistic fault: each request independently gets fault i with probability p_i, and
 * {@link Fault#pass()} with the rest. Deterministic for a given seeded {@link Random} and
 * request order. Thread-safe ({@link #pick()} locks the random source).
 */
public final class FaultMix {
  private final Random random;
  private final List<Fault> faults;
  private final double[] cumulative;

  private FaultMix(Random random, List<Fault> faults, double[] cumulative) {
    this.random = random;
    this.faults = faults;
    this.cumulative = cumulative;
  }

  public static Builder builder(Random random) {
    return new Builder(random);
  }

  /** Draws the fault for the next request. */
  public Fault pick() {
    double r;
    synchronized (random) {
      r = random.nextDouble();
    }
    for (int i = 0; i < cumulative.length; i++) {
      if (r < cumulative[i]) {
        return faults.get(i);
      }
    }
    return Fault.pass();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("FaultMix[");
    double prev = 0;
    for (int i = 0; i < faults.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(faults.get(i)).append(' ')
          .append(String.format(java.util.Locale.ROOT, "%.3f", cumulative[i] - prev));
      prev = cumulative[i];
    }
    return sb.append(']').toString();
  }

  /** Adds faults with their probabilities; the probabilities must sum to at most 1. */
  public static final class Builder {
    private final Random random;
    private final List<Fault> faults = new ArrayList<>();
    private final List<Double> probabilities = new ArrayList<>();

    private Builder(Random random) {
      this.random = Objects.requireNonNull(random, "random");
    }

    public Builder add(Fault fault, double probability) {
      Objects.requireNonNull(fault, "fault");
      if (!(probability >= 0 && probability <= 1)) {
        throw new IllegalArgumentException(
            "probability of " + fault + " must be in [0, 1], was " + probability);
      }
      faults.add(fault);
      probabilities.add(probability);
      return this;
    }

    public FaultMix build() {
      double[] cumulative = new double[faults.size()];
      double sum = 0;
      for (int i = 0; i < cumulative.length; i++) {
        sum += probabilities.get(i);
        cumulative[i] = sum;
      }
      if (sum > 1 + 1e-9) {
        throw new IllegalArgumentException("probabilities sum to " + sum + ", must be <= 1");
      }
      return new FaultMix(random, List.copyOf(faults), cumulative);
    }
  }
}
