package dev.outpost.sim.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.outpost.sim.Fault;
import dev.outpost.sim.FaultProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two-way sync with real processes: a server child and three agent children with replicas (each
 * behind a fault proxy), apps writing to every agent's {@code /v1/docs} (registers, counters,
 * sets, deletes, and a {@code manual} collection where they disagree), while seeded chaos
 * SIGKILLs agents mid-write and mid-pull, SIGKILLs the server, and cuts the links for different
 * lengths. Then everything heals: every replica must equal the server document by document, every
 * counter must hold every acknowledged increment (and no more than those plus the ones whose
 * answer was lost), no op is dead-lettered, and the manual collection's disagreements are listed
 * as conflicts. The seed is printed; {@code -Doutpost.chaos.seed=N} replays the schedule.
 */
class ReplicaChaosTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SYNC = """
      collections:
        orders:
          counters: [qty]
          sets: [tags]
          devices: read-write
        stock:
          counters: [onHand]
          devices: read-write
        tickets:
          conflict: manual
          devices: read-write
      """;
  private static final String[] ORDERS = {"wo-1", "wo-2", "wo-3", "wo-4"};
  private static final String[] SKUS = {"sku-1", "sku-2"};

  @TempDir Path tmp;

  /** Increments per sku: acknowledged (200), and sent without an answer (may or may not count). */
  private final Map<String, AtomicLong> acked = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> maybe = new ConcurrentHashMap<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  @Test
  void replicasConvergeWithTheServerThroughKillsPartitionsAndRestarts() throws Exception {
    long seed = Long.getLong("outpost.chaos.seed", System.currentTimeMillis() ^ System.nanoTime());
    System.out.println("replica chaos seed " + seed + " (replay: -Doutpost.chaos.seed=" + seed + ")");
    SplittableRandom master = new SplittableRandom(seed);
    for (String s : SKUS) {
      acked.put(s, new AtomicLong());
      maybe.put(s, new AtomicLong());
    }
    Path serverDir = tmp.resolve("server");
    Files.createDirectories(serverDir);
    Files.writeString(serverDir.resolve("sync.yaml"), SYNC);
    Path replicaConfig = Files.writeString(tmp.resolve("replica.yaml"), SYNC);
    List<String> devices = AgentChild.names(3);
    List<FaultProxy> proxies = new ArrayList<>();
    List<AgentChild> agents = new ArrayList<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    List<Thread> writers = new ArrayList<>();
    int serverKills = 0;
    try (ServerChild server = new ServerChild(serverDir, devices)) {
      server.start();
      for (String device : devices) {
        FaultProxy proxy = FaultProxy.start(device, new InetSocketAddress("127.0.0.1", server.port()));
        proxies.add(proxy);
        AgentChild agent = new AgentChild(device, tmp.resolve(device), proxy.uri(), server.tokens().get(device),
            List.of("replica.config=" + replicaConfig));
        agents.add(agent);
        agent.start();
      }
      for (AgentChild agent : agents) {
        SplittableRandom r = master.split();
        Thread t = Thread.ofPlatform().name("app-" + agent.device).start(() -> write(agent, r, writing));
        writers.add(t);
      }

      // chaos: twelve rounds of a kill, a partition or a server kill, each for a random while
      SplittableRandom chaos = master.split();
      int agentKills = 0;
      for (int round = 0; round < 12; round++) {
        int what = chaos.nextInt(10);
        long downMillis = 300 + chaos.nextInt(1200);
        if (what < 5) {
          AgentChild victim = agents.get(chaos.nextInt(agents.size()));
          victim.kill(); // mid-write and mid-pull: its app keeps trying
          agentKills++;
          pause(downMillis);
          victim.start();
        } else if (what < 8) {
          FaultProxy cut = proxies.get(chaos.nextInt(proxies.size()));
          cut.setFault(Fault.refuse());
          pause(downMillis * 2);
          cut.heal();
        } else {
          server.kill();
          serverKills++;
          pause(downMillis);
          server.start();
        }
        pause(200 + chaos.nextInt(400));
      }
      writing.set(false);
      for (Thread t : writers) {
        t.join(Duration.ofSeconds(30));
      }
      proxies.forEach(FaultProxy::heal);
      System.out.printf("replica chaos: %d agent kills, %d server kills; increments acknowledged %s, unanswered %s%n",
          agentKills, serverKills, acked, maybe);

      // heal: every op delivered, every replica equal to the server
      await("replicas converge").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        for (AgentChild a : agents) {
          JsonNode backlog = a.status().path("backlog");
          assertThat(backlog.path("total").asLong() + backlog.path("in_flight").asLong()).as(a.device + " unsent ops")
              .isZero();
        }
        for (String collection : List.of("orders", "stock", "tickets")) {
          Map<String, JsonNode> onServer = list(server.uri(), collection, true);
          for (AgentChild a : agents) {
            assertThat(list(a.endpoint().api(), collection, false)).as(a.device + " " + collection).isEqualTo(onServer);
          }
        }
      });
      for (AgentChild a : agents) {
        assertThat(a.status().path("dead_letters").asLong()).as(a.device + ": no op refused").isZero();
      }
      Map<String, JsonNode> stock = list(server.uri(), "stock", true);
      for (String s : SKUS) {
        long value = stock.containsKey(s) ? stock.get(s).path("onHand").asLong() : 0;
        assertThat(value).as("%s holds every acknowledged increment (seed %d)", s, seed)
            .isBetween(acked.get(s).get(), acked.get(s).get() + maybe.get(s).get());
      }
      JsonNode conflicts = call(server.uri(), "GET", "/v1/conflicts?open=false", null, true);
      System.out.printf("replica chaos: converged; %d documents, %d conflicts listed%n",
          list(server.uri(), "orders", true).size() + stock.size() + list(server.uri(), "tickets", true).size(),
          conflicts.path("conflicts").size());
      for (JsonNode c : conflicts.path("conflicts")) {
        assertThat(c.path("collection").asText()).as("only the manual collection has conflicts").isEqualTo("tickets");
      }
    } finally {
      writing.set(false);
      for (AgentChild a : agents) {
        a.close();
      }
      for (FaultProxy p : proxies) {
        p.close();
      }
      http.close();
    }
  }

  /** An app writing to its agent until told to stop; a write to an agent that is down is retried later. */
  private void write(AgentChild agent, SplittableRandom r, AtomicBoolean writing) {
    for (long i = 0; writing.get() && i < 100_000; i++) {
      AgentChild.Endpoint e = agent.endpoint();
      if (e == null) {
        pause(20); // the agent is down: its app waits for it
        continue;
      }
      String id = ORDERS[r.nextInt(ORDERS.length)];
      int kind = r.nextInt(10);
      String sku = SKUS[r.nextInt(SKUS.length)];
      try {
        switch (kind) {
          case 0, 1, 2 -> {
            int delta = r.nextInt(1, 6);
            maybe.get(sku).addAndGet(delta);
            HttpResponse<String> res = send(e.api(), "PATCH", "/v1/docs/stock/" + sku, "{\"onHand\":{\"$inc\":" + delta + "}}");
            maybe.get(sku).addAndGet(-delta);
            if (res.statusCode() == 200) {
              acked.get(sku).addAndGet(delta);
            }
          }
          case 3, 4 -> send(e.api(), "PATCH", "/v1/docs/orders/" + id,
              "{\"status\":\"" + agent.device + "-" + i + "\",\"qty\":{\"$inc\":1}}");
          case 5 -> send(e.api(), "PATCH", "/v1/docs/orders/" + id, "{\"tags\":{\"$add\":[\"t" + r.nextInt(3) + "\"]}}");
          case 6 -> send(e.api(), "PATCH", "/v1/docs/orders/" + id, "{\"tags\":{\"$remove\":[\"t" + r.nextInt(3) + "\"]}}");
          case 7 -> send(e.api(), r.nextInt(3) == 0 ? "DELETE" : "PUT", "/v1/docs/orders/" + id,
              "{\"status\":\"new\",\"by\":\"" + agent.device + "\"}");
          default -> send(e.api(), "PUT", "/v1/docs/tickets/t-1", "{\"status\":\"" + agent.device + "-" + i + "\"}");
        }
      } catch (IOException ex) {
        // no answer (the agent was killed mid-write): an increment stays counted as "maybe"
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        return;
      }
      pause(5 + r.nextInt(20));
    }
  }

  private HttpResponse<String> send(URI base, String method, String path, String body) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5))
        .method(method, method.equals("DELETE") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode call(URI base, String method, String path, String body, boolean admin) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (admin) {
      b.header("Authorization", "Bearer " + ServerChild.ADMIN);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + base + path + ": " + r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  /** Every live document of a collection, by id: the server's admin list or an agent's local list. */
  private Map<String, JsonNode> list(URI base, String collection, boolean admin) throws Exception {
    Map<String, JsonNode> out = new TreeMap<>();
    String after = "";
    for (int pages = 0; pages < 100; pages++) {
      JsonNode page = call(base, "GET", "/v1/docs/" + collection + "?limit=1000&after=" + after, null, admin);
      for (JsonNode d : page.path("docs")) {
        out.put(d.path("id").asText(), d.path("doc"));
      }
      if (page.path("next").isNull() || page.path("next").asText().isEmpty()) {
        return out;
      }
      after = page.path("next").asText();
    }
    throw new IllegalStateException("more than 100 pages of " + collection);
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis); // a chaos schedule's pause, not a wait for a condition
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
