package dev.outpost.sim.chaos;

import dev.outpost.sim.Fault;
import dev.outpost.sim.FaultMix;
import dev.outpost.sim.FaultProxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Scripted network faults on the agents' proxies: rounds in which every fault kind (and a mix of
 * them) is set once, in a seeded random order, on a random proxy, for a random while, with calm
 * gaps between. Runs on its own thread until {@link #stop}; then every proxy is healed.
 */
final class NetworkChaos implements Runnable {
  private final List<FaultProxy> proxies;
  private final SplittableRandom random;
  private final AtomicBoolean stopped = new AtomicBoolean();
  private final Map<Fault.Kind, Integer> episodes = new EnumMap<>(Fault.Kind.class);
  private int mixes;

  NetworkChaos(List<FaultProxy> proxies, SplittableRandom random) {
    this.proxies = List.copyOf(proxies);
    this.random = random;
  }

  private List<Fault> round() {
    List<Fault> faults = new ArrayList<>(List.of(Fault.refuse(), Fault.reset(), Fault.blackhole(),
        Fault.trickle(4096), Fault.httpStatus(500), Fault.httpStatus(503, 1), Fault.httpStatus(429, 1),
        Fault.loseAnswer()));
    faults.add(null); // a mix of every kind, picked per connection
    Collections.shuffle(faults, new Random(random.nextLong()));
    return faults;
  }

  @Override
  public void run() {
    try {
      while (!stopped.get()) {
        for (Fault f : round()) {
          if (stopped.get()) {
            break;
          }
          FaultProxy proxy = proxies.get(random.nextInt(proxies.size()));
          if (f == null) {
            proxy.setMix(mix());
            count(null);
          } else {
            proxy.setFault(f);
            count(f.kind());
          }
          pause(300, 2000);
          proxy.heal();
          pause(200, 1200);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      proxies.forEach(FaultProxy::heal);
    }
  }

  private FaultMix mix() {
    return FaultMix.builder(new Random(random.nextLong()))
        .add(Fault.refuse(), 0.1).add(Fault.reset(), 0.1).add(Fault.blackhole(), 0.05)
        .add(Fault.trickle(8192), 0.05).add(Fault.httpStatus(503, 1), 0.1).add(Fault.loseAnswer(), 0.1)
        .build();
  }

  private synchronized void count(Fault.Kind kind) {
    if (kind == null) {
      mixes++;
    } else {
      episodes.merge(kind, 1, Integer::sum);
    }
  }

  /** A schedule gap (not a wait for a condition): time passes while the processes run. */
  private void pause(int minMillis, int maxMillis) throws InterruptedException {
    TimeUnit.MILLISECONDS.sleep(random.nextInt(minMillis, maxMillis + 1));
  }

  void stop() {
    stopped.set(true);
  }

  synchronized Map<Fault.Kind, Integer> episodes() {
    return Map.copyOf(episodes);
  }

  synchronized int mixes() {
    return mixes;
  }
}
