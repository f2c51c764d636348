package dev.outpost.sim.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.sim.AckLedger;
import dev.outpost.sim.DeliveryChecker;
import dev.outpost.sim.DeliveryReport;
import dev.outpost.sim.Fault;
import dev.outpost.sim.FaultProxy;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The promise, checked end to end with real processes: a server child JVM and agent child JVMs
 * (each behind a {@link FaultProxy}), producers publishing over the agents' local HTTP API and
 * noting every 202 in an {@link AckLedger}, while seeded chaos actors SIGKILL and restart the
 * agents (at least 20 kills) and the server (at least 5), and set every network fault kind on
 * the proxies. Then everything heals, every backlog drains, and the {@link DeliveryChecker}
 * compares the ledger with the server's read-back: lost 0, duplicates 0, lane order kept.
 *
 * <p>The seed is printed at the start; {@code -Doutpost.chaos.seed=N} replays the same schedule
 * (kill moments, down times, fault order; thread timing still varies). {@code
 * -Doutpost.soak.minutes=N} runs the actors for N minutes instead of the CI-sized counts.
 */
class ChaosSuiteTest {
  private static final int AGENTS = 2;
  private static final int KILLS_PER_AGENT = 11;
  private static final int SERVER_KILLS = 6;

  @TempDir Path tmp;

  @Test
  void nothingLostNothingDoubledOrderKeptThroughKillsRestartsAndFaults() throws Exception {
    long seed = Long.getLong("outpost.chaos.seed", System.currentTimeMillis() ^ System.nanoTime());
    double soakMinutes = Double.parseDouble(System.getProperty("outpost.soak.minutes", "0"));
    long deadline = soakMinutes > 0 ? System.nanoTime() + (long) (soakMinutes * 60e9) : 0;
    String replay = "chaos seed " + seed + " (replay: -Doutpost.chaos.seed=" + seed + ")";
    System.out.println(replay + (soakMinutes > 0 ? ", soak " + soakMinutes + " min" : ", CI size"));
    SplittableRandom master = new SplittableRandom(seed);
    long started = System.nanoTime();

    List<String> devices = AgentChild.names(AGENTS);
    List<FaultProxy> proxies = new ArrayList<>();
    List<AgentChild> agents = new ArrayList<>();
    List<Producer> producers = new ArrayList<>();
    AckLedger ledger = AckLedger.inMemory();
    ExecutorService actors = Executors.newFixedThreadPool(AGENTS + 2);
    try (ServerChild server = new ServerChild(tmp.resolve("server"), devices)) {
      server.start();
      for (String device : devices) {
        FaultProxy proxy = FaultProxy.start(device, new InetSocketAddress("127.0.0.1", server.port()));
        proxies.add(proxy);
        AgentChild agent = new AgentChild(device, tmp.resolve(device), proxy.uri(), server.tokens().get(device));
        agents.add(agent);
        agent.start();
      }
      for (AgentChild agent : agents) {
        for (int t = 0; t < 2; t++) {
          Producer p = new Producer(agent, ledger, master.split());
          producers.add(p);
          p.start("producer-" + agent.device + "-" + t);
        }
      }

      NetworkChaos network = new NetworkChaos(proxies, master.split());
      Future<?> networkRun = actors.submit(network);
      List<Future<?>> killers = new ArrayList<>();
      for (AgentChild agent : agents) {
        SplittableRandom r = master.split();
        killers.add(actors.submit(killer(r, KILLS_PER_AGENT, deadline, 1500, 4000, 800, agent::kill, agent::start)));
      }
      SplittableRandom sr = master.split();
      killers.add(actors.submit(killer(sr, SERVER_KILLS, deadline, 3000, 8000, 1500, server::kill, server::start)));
      for (Future<?> k : killers) {
        k.get(soakMinutes > 0 ? (long) (soakMinutes * 60) + 300 : 600, TimeUnit.SECONDS);
      }
      network.stop();
      networkRun.get(30, TimeUnit.SECONDS);
      for (Producer p : producers) {
        p.stop();
      }

      for (AgentChild agent : agents) {
        await(agent.device + " backlog drained; " + replay).atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(200))
            .untilAsserted(() -> {
              JsonNode backlog = agent.status().path("backlog");
              assertThat(backlog.path("total").asLong() + backlog.path("in_flight").asLong())
                  .as("%s backlog %s", agent.device, backlog).isZero();
            });
        assertThat(agent.status().path("dead_letters").asLong()).as(agent.device + " dead letters").isZero();
      }
      DeliveryReport report = DeliveryChecker.builder(server.uri(), ServerChild.ADMIN).build().check(ledger);

      long acked = producers.stream().mapToLong(p -> p.acknowledged.get()).sum();
      long failed = producers.stream().mapToLong(p -> p.failed.get()).sum();
      int agentKills = agents.stream().mapToInt(AgentChild::kills).sum();
      System.out.printf("%s%nagent kills %d, server kills %d, faults %s + %d mixes, publishes acknowledged %d, "
              + "failed (not acknowledged) %d, %.0f s%n%s%n", replay, agentKills, server.kills(),
          network.episodes(), network.mixes(), acked, failed, (System.nanoTime() - started) / 1e9, report);

      assertThat(report.ok()).as("%s%n%s", replay, report).isTrue();
      assertThat(report.acknowledged()).as(replay).isEqualTo(acked).isGreaterThan(1000);
      assertThat(agentKills).as(replay).isGreaterThanOrEqualTo(20);
      assertThat(server.kills()).as(replay).isGreaterThanOrEqualTo(5);
      EnumSet<Fault.Kind> kinds = EnumSet.complementOf(EnumSet.of(Fault.Kind.PASS));
      assertThat(network.episodes().keySet()).as(replay).containsAll(kinds);
    } finally {
      for (Producer p : producers) {
        p.stop();
      }
      actors.shutdownNow();
      for (AgentChild agent : agents) {
        agent.close();
      }
      proxies.forEach(FaultProxy::close);
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  /**
   * Kills and restarts one process: {@code count} times, or until {@code deadline} (soak) when
   * that is set; gaps between kills and down times are drawn from {@code r}.
   */
  private static Callable<Void> killer(SplittableRandom r, int count, long deadline, int minGap, int maxGap,
      int maxDown, Step kill, Step start) {
    return () -> {
      for (int k = 0; deadline > 0 ? System.nanoTime() < deadline : k < count; k++) {
        TimeUnit.MILLISECONDS.sleep(r.nextInt(minGap, maxGap + 1)); // schedule gap, not a wait
        kill.run();
        TimeUnit.MILLISECONDS.sleep(r.nextInt(0, maxDown + 1));
        start.run();
      }
      return null;
    };
  }
}
