package dev.outpost.bench;

import dev.outpost.core.Priority;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.agent.Agent;
import dev.outpost.agent.AgentJvmOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The agent as a user runs it: a child JVM started like {@code outpost agent} (no heap flags,
 * default settings) on a store pre-filled with N pending records, the server unreachable so
 * nothing drains. Measures the time from process start to the first accepted publish (202), and
 * the resident memory ({@code VmRSS} from {@code /proc/<pid>/status}, Linux only) once ready and
 * after a burst of publishes. One unmeasured start comes first (page cache, CDS archive); then
 * each point starts the agent twice and keeps the faster start and the higher memory (one start
 * on a shared machine is noise). Memory must not grow with the
 * backlog. Then, on the largest backlog, the agent with the last profile's flags (as {@code
 * ./outpost agent} ships: edge flags + CDS) drains it to a server process, its RSS sampled through
 * the drain.
 */
public final class AgentFootprint {
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /**
   * @param backlogs pending records before the agent starts (e.g. 0, 100k, 1M)
   * @param publishes single publishes after the first one (the burst before the second RSS read)
   * @param dir work dir (deleted afterwards)
   */
  public record Options(List<Integer> backlogs, int publishes, int payloadBytes, List<Profile> profiles, Path dir) {
    public static Options defaults(Path dir) {
      return new Options(List.of(0, 100_000, 1_000_000), 2000, 100, Profile.ALL, dir);
    }
  }

  /**
   * JVM flags the agent runs with: none (the JVM's own ergonomics), a small-device set, and the
   * same with an application class-data-sharing archive ({@code sharedArchive}: the archive is
   * written at the first clean stop, so these agents are stopped with SIGTERM, the others with
   * SIGKILL).
   */
  public record Profile(String name, List<String> jvmFlags, boolean sharedArchive) {
    public static final Profile JVM_DEFAULTS = new Profile("JVM defaults", List.of(), false);
    /** The flags {@code ./outpost agent} and the deployment docs ship (agent-jvm.options). */
    public static final Profile EDGE = new Profile("edge flags", AgentJvmOptions.shipped(), false);
    public static final Profile EDGE_CDS = new Profile("edge flags + CDS", EDGE.jvmFlags(), true);
    public static final List<Profile> ALL = List.of(JVM_DEFAULTS, EDGE, EDGE_CDS);
  }

  /** One backlog's figures under one profile; RSS in KiB, -1 where /proc is not there. */
  public record Sample(Profile profile, long pending, double firstAcceptMillis, long rssReadyKiB, long rssAfterKiB) {
    public long rssMaxKiB() {
      return Math.max(rssReadyKiB, rssAfterKiB);
    }
  }

  /** In-process: {@code Outbox.open} on the pre-filled store plus one durable append. */
  public record Open(long pending, double millis) {}

  /**
   * The agent draining its backlog to a real server (a child JVM): how long until nothing is
   * pending, and its peak RSS sampled through the drain; RSS in KiB.
   */
  public record Drain(Profile profile, long records, double perSecond, long rssMaxKiB) {}

  public record Result(List<Sample> samples, List<Open> opens, List<Drain> drains) {}

  private AgentFootprint() {}

  public static void main(String[] args) throws Exception {
    run(Options.defaults(Files.createTempDirectory("outpost-footprint")), System.out);
  }

  public static Result run(Options o, PrintStream out) throws Exception {
    List<Sample> samples = new ArrayList<>();
    List<Open> opens = new ArrayList<>();
    List<Drain> drains = new ArrayList<>();
    int largest = o.backlogs().stream().mapToInt(Integer::intValue).max().orElse(0);
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(1)).build()) {
      // One unmeasured start first: warms the page cache for the jar and writes the CDS archive.
      Profile warm = o.profiles().stream().filter(Profile::sharedArchive).findFirst().orElse(o.profiles().getFirst());
      measure(http, AppendBenchmark.fresh(o.dir().resolve("warm-up")), 0, warm, o);
      for (int backlog : o.backlogs()) {
        Path store = AppendBenchmark.fresh(o.dir().resolve("agent-" + backlog));
        prefill(store, backlog, o.payloadBytes());
        opens.add(new Open(backlog, openAndAppend(store)));
        for (Profile profile : o.profiles()) {
          Sample a = measure(http, store, backlog, profile, o);
          Sample b = measure(http, store, backlog, profile, o); // best start of two, highest memory of two
          samples.add(new Sample(profile, backlog, Math.min(a.firstAcceptMillis(), b.firstAcceptMillis()),
              Math.max(a.rssReadyKiB(), b.rssReadyKiB()), Math.max(a.rssAfterKiB(), b.rssAfterKiB())));
        }
        if (backlog == largest && backlog > 0) {
          drains.add(drain(http, store, o.profiles().getLast(), o, out)); // as shipped: edge flags + CDS
        }
        AppendBenchmark.delete(store);
      }
    } finally {
      AppendBenchmark.delete(o.dir());
    }
    out.println();
    out.println("Agent child JVM (default agent settings), server unreachable");
    out.printf(Locale.ROOT, "%-50s %10s %22s %14s %22s%n", "JVM flags", "pending", "start -> first 202 ms",
        "RSS ready MiB", "RSS after publishes MiB");
    for (Sample s : samples) {
      out.printf(Locale.ROOT, "%-50s %10d %22.0f %14.1f %22.1f%n", s.profile().name() + " " + s.profile().jvmFlags(), s.pending(),
          s.firstAcceptMillis(), s.rssReadyKiB() / 1024.0, s.rssAfterKiB() / 1024.0);
    }
    for (Open op : opens) {
      out.printf(Locale.ROOT, "in-process Outbox.open + first durable append, %d pending: %.0f ms%n", op.pending(),
          op.millis());
    }
    for (Drain d : drains) {
      out.printf(Locale.ROOT, "drain to a server process (%s): %,d records at %,.0f records/s, RSS at most %.1f MiB%n",
          d.profile().name(), d.records(), d.perSecond(), d.rssMaxKiB() / 1024.0);
    }
    return new Result(samples, opens, drains);
  }

  private static void prefill(Path store, int records, int payloadBytes) {
    try (Outbox outbox = Outbox.open(store, OutboxConfig.defaults())) {
      List<NewRecord> batch = new ArrayList<>();
      for (int i = 0; i < 8192; i++) {
        Priority p = i % 16 == 0 ? Priority.HIGH : Priority.NORMAL;
        batch.add(new NewRecord("sensors/t" + (i % 8), new byte[payloadBytes], p));
      }
      for (int done = 0; done < records; done += batch.size()) {
        outbox.appendAll(batch.subList(0, Math.min(batch.size(), records - done)));
      }
    }
  }

  /** Milliseconds to open the store and make one append durable, in this JVM (no JVM start). */
  private static double openAndAppend(Path store) {
    long t0 = System.nanoTime();
    try (Outbox outbox = Outbox.open(store, OutboxConfig.defaults())) {
      outbox.append("bench", new byte[] {'1'}, Priority.HIGH, java.util.Map.of());
      return (System.nanoTime() - t0) / 1e6;
    }
  }

  private static Sample measure(HttpClient http, Path store, int backlog, Profile profile, Options o)
      throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path log = o.dir().resolve("agent-" + backlog + ".log");
    ProcessBuilder pb = new ProcessBuilder(command(store, port, profile, o.dir().resolve("agent.jsa")))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("OUTPOST_"));
    long t0 = System.nanoTime();
    Process p = pb.start();
    try {
      URI publish = URI.create("http://127.0.0.1:" + port + "/v1/publish/bench?priority=HIGH");
      long deadline = t0 + TimeUnit.SECONDS.toNanos(120);
      while (publish(http, publish) != 202) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("agent on a store of " + backlog + " pending did not accept a "
              + "publish (alive=" + p.isAlive() + "); log:\n" + Files.readString(log));
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // poll period of the start clock
      }
      double firstMillis = (System.nanoTime() - t0) / 1e6;
      long rssReady = rssKiB(p.pid());
      for (int i = 0; i < o.publishes(); i++) {
        if (publish(http, publish) != 202) {
          throw new IllegalStateException("publish " + i + " was refused; log:\n" + Files.readString(log));
        }
      }
      return new Sample(profile, backlog, firstMillis, rssReady, rssKiB(p.pid()));
    } finally {
      if (profile.sharedArchive()) {
        p.destroy(); // SIGTERM: a clean stop writes the archive
        p.waitFor(60, TimeUnit.SECONDS);
      }
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Starts the agent on {@code store} with a server child to drain to, and samples its RSS every
   * 20 ms (and its status every 100 ms) until nothing is pending.
   */
  private static Drain drain(HttpClient http, Path store, Profile profile, Options o, PrintStream out) throws Exception {
    try (SyncBenchmark.ServerChild server = SyncBenchmark.ServerChild.start(o.dir().resolve("server"), 2, out)) {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      Path log = o.dir().resolve("agent-drain.log");
      ProcessBuilder pb = new ProcessBuilder(command(store, port, profile, o.dir().resolve("agent.jsa"), server.url(),
          "bench-1", server.tokens().get(1))).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("OUTPOST_"));
      Process p = pb.start();
      try {
        URI status = URI.create("http://127.0.0.1:" + port + "/v1/status");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        long rssMax = -1;
        long records = -1;
        long start = 0;
        long nextStatus = 0;
        while (true) {
          if (!p.isAlive() || System.nanoTime() > deadline) {
            throw new IllegalStateException("the agent did not drain its backlog (alive=" + p.isAlive() + "); log:\n"
                + Files.readString(log));
          }
          rssMax = Math.max(rssMax, rssKiB(p.pid()));
          if (System.nanoTime() >= nextStatus) {
            nextStatus = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
            com.fasterxml.jackson.databind.JsonNode st = status(http, status);
            if (st != null) {
              long pending = st.path("backlog").path("total").asLong() + st.path("backlog").path("in_flight").asLong();
              if (records < 0) {
                records = pending; // the first answer: the agent is up, the drain starts now
                start = System.nanoTime();
              } else if (pending == 0) {
                break;
              }
            }
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // the sampling period
        }
        return new Drain(profile, records, records / ((System.nanoTime() - start) / 1e9), rssMax);
      } finally {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode status(HttpClient http, URI uri) throws InterruptedException {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (IOException e) {
      return null; // not listening yet
    }
  }

  /** {@code outpost agent} with an unreachable server: nothing drains. */
  private static List<String> command(Path store, int port, Profile profile, Path archive) {
    return command(store, port, profile, archive, "http://127.0.0.1:1", "bench-1", "bench-token-123");
  }

  /** {@code outpost agent} through the CLI when it is on the classpath (the shipped jar), else the same calls. */
  private static List<String> command(Path store, int port, Profile profile, Path archive, String server, String device,
      String token) {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
    cmd.addAll(profile.jvmFlags());
    if (profile.sharedArchive()) {
      cmd.addAll(List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + archive));
    }
    String extra = System.getenv("OUTPOST_BENCH_AGENT_OPTS"); // e.g. a profiler's flags
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(List.of(extra.trim().split("\\s+")));
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
    if (cliOnClasspath()) {
      cmd.addAll(List.of("dev.outpost.cli.Main", "agent", "--server", server, "--device-id", device,
          "--token", token, "--data-dir", store.toString(), "--api-port", String.valueOf(port)));
    } else {
      cmd.addAll(List.of(Agent.class.getName(), "server-url=" + server, "device-id=" + device,
          "token=" + token, "data-dir=" + store, "api.port=" + port));
    }
    return cmd;
  }

  private static boolean cliOnClasspath() {
    try {
      Class.forName("dev.outpost.cli.Main", false, AgentFootprint.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private static int publish(HttpClient http, URI uri) throws InterruptedException {
    try {
      return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
          .POST(HttpRequest.BodyPublishers.ofString("{\"v\":1}")).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1; // not listening yet
    }
  }

  /** VmRSS of a process in KiB, or -1 where /proc is missing (not Linux). */
  static long rssKiB(long pid) {
    Path status = Path.of("/proc/" + pid + "/status");
    if (!Files.exists(status)) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
      return -1;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
