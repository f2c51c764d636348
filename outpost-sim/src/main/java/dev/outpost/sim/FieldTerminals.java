package dev.outpost.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.outpost.edge.Replica;
import dev.outpost.edge.ReplicaConfig;
import dev.outpost.server.SyncCollections;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The demo's two-way sync: field terminals that share work orders and a stock counter with the
 * back office, each with its own {@link Replica} behind its own {@link FaultProxy}. Every second
 * each terminal takes a part from stock and updates a work order, offline or not; a third of the
 * way in the first terminal loses its link and the back office edits a work order meanwhile; two
 * thirds in the link comes back. At the end {@link #settle} waits (bounded) for every terminal to
 * have sent its writes and pulled the server's, and compares every replica with the server.
 * Not thread-safe: the demo's thread drives it.
 */
public final class FieldTerminals implements AutoCloseable {
  /** The collections the server and the terminals share (docs/sync-model.md's shape). */
  public static final String SYNC_CONFIG = """
      collections:
        workorders:
          sets: [tags]
          devices: read-write
        stock:
          counters: [onHand]
          devices: read-write
      """;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] ORDERS = {"wo-1", "wo-2", "wo-3", "wo-4"};
  private static final long STOCK = 10_000;

  /**
   * What the check found.
   *
   * @param converged every replica equals the server, document by document
   * @param documents documents on the server at the end
   * @param conflicts conflicts listed by the server
   * @param stockTaken parts every terminal took, acknowledged; the stock counter must be down by exactly that
   * @param stockLeft the counter on the server at the end
   * @param backOfficeEditSeen the back office's edit made during the outage reached every replica
   */
  public record Report(int terminals, boolean converged, int documents, long conflicts, long stockTaken,
      long stockLeft, boolean backOfficeEditSeen, String detail) {
    public boolean ok() {
      return converged && stockLeft == STOCK - stockTaken && backOfficeEditSeen;
    }
  }

  private final List<ReplicaDevice> terminals = new ArrayList<>();
  private final URI server;
  private final String admin;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Random random;
  private long taken;
  private boolean outageStarted;
  private boolean outageOver;

  private FieldTerminals(URI server, String admin, long seed) {
    this.server = server;
    this.admin = admin;
    this.random = new Random(seed);
  }

  /**
   * Starts {@code count} terminals against the server at {@code target} ({@code register} adds a
   * device and returns its token) and seeds the work orders and the stock through the back office.
   */
  public static FieldTerminals start(int count, InetSocketAddress target, String admin,
      Function<String, String> register, Path dir, long seed) throws IOException, InterruptedException {
    FieldTerminals t = new FieldTerminals(URI.create("http://127.0.0.1:" + target.getPort()), admin, seed);
    try {
      SyncCollections shared = SyncCollections.parse(SYNC_CONFIG, "the demo");
      for (String o : ORDERS) {
        t.backOffice("PUT", "/v1/docs/workorders/" + o, "{\"status\":\"open\",\"site\":\"berlin\"}");
      }
      t.backOffice("PATCH", "/v1/docs/stock/bolts", "{\"onHand\":{\"$inc\":" + STOCK + "}}");
      for (int i = 1; i <= count; i++) {
        String id = "terminal-" + i;
        ReplicaConfig.Builder rules = ReplicaConfig.builder(id);
        for (SyncCollections.Collection c : shared.all().values()) {
          rules.collection(c.rules()); // the terminals keep the server's rules
        }
        t.terminals.add(ReplicaDevice.start(id, register.apply(id), target, dir.resolve(id), rules.build()));
      }
      return t;
    } catch (IOException | InterruptedException | RuntimeException e) {
      t.close();
      throw e;
    }
  }

  /**
   * One second of work, {@code fraction} of the run done: every terminal takes a part and
   * updates a work order; the first terminal's outage starts at a third and ends at two thirds,
   * with the back office's edit in between.
   */
  public void tick(double fraction) throws IOException, InterruptedException {
    if (!outageStarted && fraction >= 1.0 / 3) {
      outageStarted = true;
      terminals.getFirst().proxy().setFault(Fault.refuse());
      backOffice("PATCH", "/v1/docs/workorders/wo-1", "{\"priority\":\"urgent\",\"note\":\"customer called: today\"}");
    }
    if (outageStarted && !outageOver && fraction >= 2.0 / 3) {
      outageOver = true;
      terminals.getFirst().proxy().heal();
    }
    for (ReplicaDevice t : terminals) {
      Replica.Documents orders = t.replica().collection("workorders");
      t.replica().collection("stock").increment("bolts", "onHand", -1);
      taken++;
      String wo = ORDERS[random.nextInt(ORDERS.length)];
      ObjectNode patch = JSON.createObjectNode().put("status", random.nextBoolean() ? "in-progress" : "waiting-parts")
          .put("by", t.id());
      orders.patch(wo, patch);
      if (random.nextInt(4) == 0) {
        orders.add(wo, "tags", List.of(JSON.getNodeFactory().textNode("visited-by-" + t.id())));
      }
    }
  }

  /** Heals every link, then waits up to {@code timeout} for every replica to equal the server. */
  public Report settle(Duration timeout) throws IOException, InterruptedException {
    for (ReplicaDevice t : terminals) {
      t.proxy().heal();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    String detail = "";
    boolean converged = false;
    Map<String, JsonNode> orders = Map.of();
    Map<String, JsonNode> stock = Map.of();
    while (System.nanoTime() < deadline) {
      orders = list("workorders");
      stock = list("stock");
      detail = differences(orders, stock);
      if (detail.isEmpty()) {
        converged = true;
        break;
      }
      Thread.sleep(100); // a polling period, bounded by the deadline
    }
    boolean editSeen = converged && terminals.stream().allMatch(t -> t.replica().collection("workorders").get("wo-1")
        .map(v -> v.path("priority").asText().equals("urgent")).orElse(false));
    JsonNode conflicts = backOffice("GET", "/v1/conflicts?open=false", null);
    long left = stock.containsKey("bolts") ? stock.get("bolts").path("onHand").asLong() : -1;
    return new Report(terminals.size(), converged, orders.size() + stock.size(), conflicts.path("conflicts").size(), taken,
        left, editSeen, detail);
  }

  /** What differs between the replicas and the server ("" when nothing does, and nothing is unsent). */
  private String differences(Map<String, JsonNode> orders, Map<String, JsonNode> stock) {
    for (ReplicaDevice t : terminals) {
      long unsent = t.unsent();
      if (unsent > 0) {
        return t.id() + " still has " + unsent + " writes to send";
      }
      for (Map.Entry<String, JsonNode> e : orders.entrySet()) {
        if (!Objects.equals(t.replica().collection("workorders").get(e.getKey()).orElse(null), e.getValue())) {
          return t.id() + " differs from the server on workorders/" + e.getKey();
        }
      }
      for (Map.Entry<String, JsonNode> e : stock.entrySet()) {
        if (!Objects.equals(t.replica().collection("stock").get(e.getKey()).orElse(null), e.getValue())) {
          return t.id() + " differs from the server on stock/" + e.getKey();
        }
      }
    }
    return "";
  }

  private Map<String, JsonNode> list(String collection) throws IOException, InterruptedException {
    Map<String, JsonNode> out = new TreeMap<>();
    for (JsonNode d : backOffice("GET", "/v1/docs/" + collection + "?limit=1000", null).path("docs")) {
      out.put(d.path("id").asText(), d.path("doc"));
    }
    return out;
  }

  private JsonNode backOffice(String method, String path, String body) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.resolve(path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("the back office's " + method + " " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }

  @Override
  public void close() {
    terminals.forEach(ReplicaDevice::close);
    http.close();
  }
}
