package dev.outpost.bench;

import dev.outpost.core.Priority;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import dev.outpost.agent.UplinkStatus;
import dev.outpost.agent.LocalApi;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Publish throughput of the agent's local HTTP API against the outbox it writes to, measured in
 * the same run on fresh stores: one record per request vs in-process {@code append} from as many
 * threads (the group-commit baseline), and NDJSON batches vs in-process {@code appendAll} of the
 * same batches. Every figure is durable records per second (202 only after the fsync'd commit).
 * The ratios are the figure of merit: what the HTTP hop costs. Clients share the CPU with the
 * agent, so the HTTP figures are lower bounds. No uplink runs (the API and the store only).
 */
public final class AgentApiBenchmark {
  /** What to run. */
  public record Options(int clients, int singleRecords, int batchRecords, int batchSize, int payloadBytes, Path workDir) {
    public static Options defaults() {
      return new Options(8, 20_000, 200_000, 1000, 100, null);
    }
  }

  /** One mode's figure. */
  public record Mode(String name, long records, double seconds) {
    public double perSecond() {
      return records / seconds;
    }
  }

  public record Result(Mode append, Mode httpSingle, Mode appendAll, Mode httpBatch) {
    public double singleRatio() {
      return httpSingle.perSecond() / append.perSecond();
    }

    public double batchRatio() {
      return httpBatch.perSecond() / appendAll.perSecond();
    }
  }

  private AgentApiBenchmark() {}

  public static void main(String[] args) throws Exception {
    java.util.logging.Logger.getLogger("io.helidon").setLevel(java.util.logging.Level.WARNING);
    Options o = Options.defaults();
    for (int i = 0; i + 1 < args.length; i += 2) {
      int v = Integer.parseInt(args[i + 1]);
      o = switch (args[i]) {
        case "--clients" -> new Options(v, o.singleRecords(), o.batchRecords(), o.batchSize(), o.payloadBytes(), o.workDir());
        case "--single-records" -> new Options(o.clients(), v, o.batchRecords(), o.batchSize(), o.payloadBytes(), o.workDir());
        case "--batch-records" -> new Options(o.clients(), o.singleRecords(), v, o.batchSize(), o.payloadBytes(), o.workDir());
        case "--batch-size" -> new Options(o.clients(), o.singleRecords(), o.batchRecords(), v, o.payloadBytes(), o.workDir());
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (known: --clients N, --single-records N, --batch-records N, --batch-size N)");
      };
    }
    run(o, System.out);
  }

  public static Result run(Options o, PrintStream out) throws Exception {
    Path work = o.workDir() != null ? o.workDir() : Files.createTempDirectory("outpost-agent-bench-");
    out.printf("agent API benchmark: %d clients, %d-byte payloads, %d single records, %d batch records in batches of %d%n",
        o.clients(), o.payloadBytes(), o.singleRecords(), o.batchRecords(), o.batchSize());
    byte[] payload = new byte[o.payloadBytes()];
    Arrays.fill(payload, (byte) 'x');
    int perClientSingle = o.singleRecords() / o.clients();
    int batchesPerClient = Math.max(1, o.batchRecords() / o.batchSize() / o.clients());

    Mode append = inStore(work.resolve("append"), "in-process append", o.clients(), perClientSingle,
        outbox -> {
          outbox.append("bench/t", payload, Priority.NORMAL);
          return 1;
        });
    Mode appendAll = inStore(work.resolve("append-all"), "in-process appendAll", o.clients(),
        batchesPerClient * o.batchSize(), new BatchAppender(payload, o.batchSize()));
    Mode single = overHttp(work.resolve("http-single"), "HTTP one per request", o, perClientSingle, 1,
        "/v1/publish/bench/t", payload);
    Mode batch = overHttp(work.resolve("http-batch"), "HTTP NDJSON batches", o, batchesPerClient, o.batchSize(),
        "/v1/publish?topic=bench/t", ndjson(payload, o.batchSize()));
    Result r = new Result(append, single, appendAll, batch);

    out.println();
    out.printf("%-24s %10s %8s %14s%n", "mode", "records", "seconds", "records/s");
    for (Mode m : List.of(append, single, appendAll, batch)) {
      out.printf("%-24s %,10d %8.2f %,14.0f%n", m.name(), m.records(), m.seconds(), m.perSecond());
    }
    out.printf("ratio HTTP single / in-process append:    %5.0f%%%n", 100 * r.singleRatio());
    out.printf("ratio HTTP NDJSON / in-process appendAll: %5.0f%%%n", 100 * r.batchRatio());
    return r;
  }

  private interface Work {
    /** Writes some records, returns how many. */
    int apply(Outbox outbox) throws Exception;
  }

  private record BatchAppender(byte[] payload, int size) implements Work {
    @Override
    public int apply(Outbox outbox) {
      List<NewRecord> batch = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        batch.add(new NewRecord("bench/t", payload, Priority.NORMAL));
      }
      return outbox.appendAll(batch).size();
    }
  }

  private static Mode inStore(Path dir, String name, int clients, int perClient, Work work) throws Exception {
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.builder().budgetBytes(4L << 30).build())) {
      return timed(name, clients, () -> {
        long n = 0;
        while (n < perClient) {
          n += work.apply(outbox);
        }
        return n;
      });
    }
  }

  private static Mode overHttp(Path dir, String name, Options o, int requestsPerClient, int recordsPerRequest,
      String path, byte[] body) throws Exception {
    try (Outbox outbox = Outbox.open(dir, OutboxConfig.builder().budgetBytes(4L << 30).build());
        LocalApi api = LocalApi.start(new LocalApi.Settings("bench", "127.0.0.1", 0, 64L << 20, 100_000, 1 << 20),
            outbox, UplinkStatus::stopped, () -> {})) {
      URI uri = URI.create("http://127.0.0.1:" + api.port() + path);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      return timed(name, o.clients(), () -> {
        long n = 0;
        for (int i = 0; i < requestsPerClient; i++) {
          HttpResponse<Void> r = http.send(HttpRequest.newBuilder(uri)
              .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding());
          if (r.statusCode() != 202) {
            throw new IllegalStateException("publish answered " + r.statusCode());
          }
          n += recordsPerRequest;
        }
        return n;
      });
    }
  }

  private static Mode timed(String name, int clients, Callable<Long> client) throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
      long start = System.nanoTime();
      List<Future<Long>> futures = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        futures.add(pool.submit(client));
      }
      long total = 0;
      for (Future<Long> f : futures) {
        total += f.get();
      }
      return new Mode(name, total, (System.nanoTime() - start) / 1e9);
    }
  }

  private static byte[] ndjson(byte[] payload, int records) {
    String line = "{\"payload\":\"" + new String(payload, java.nio.charset.StandardCharsets.US_ASCII) + "\"}\n";
    return line.repeat(records).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }
}
