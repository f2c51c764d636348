package dev.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outpost.core.Batch;
import dev.outpost.core.RecordResult;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.testing.Batches;
import dev.outpost.server.testing.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable before acknowledged, shown with SIGKILL: a server in a child JVM takes batches from
 * four clients and is killed mid-stream; every record it answered stored or duplicate is in the
 * store when it is opened again, whole, and nothing is there twice.
 */
class ServerCrashTest {
  @TempDir Path dir;

  @Test
  void everyAcknowledgedRecordSurvivesSigkill() throws Exception {
    Path info = dir.resolve("server.info");
    Path data = dir.resolve("data");
    Process child = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--enable-native-access=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            ServerProcess.class.getName(), data.toString(), info.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    Set<String> acked = ConcurrentHashMap.newKeySet();
    try (HttpClient http = HttpClient.newHttpClient()) {
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(info) || !child.isAlive());
      assertThat(child.isAlive()).as("child server started; see %s", dir.resolve("child.log")).isTrue();
      String[] portToken = Files.readString(info).split(" ");
      URI uri = URI.create("http://127.0.0.1:" + portToken[0] + "/v1/ingest");
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> clients = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        long epoch = c;
        clients.add(pool.submit(() -> {
          for (int i = 0; i < 10_000; i++) {
            Batch b = Batches.batch("dev-1", epoch, 1 + i * 100L, 100);
            HttpResponse<byte[]> r;
            try {
              r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                  .header("Authorization", "Bearer " + portToken[1]).header("Content-Type", WireCodec.BINARY)
                  .POST(HttpRequest.BodyPublishers.ofByteArray(WireCodec.encodeBinary(b))).build(),
                  HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
              return null; // the server is gone
            }
            for (RecordResult rr : WireCodec.decodeResult(r.body()).results()) {
              if (rr.delivered()) {
                acked.add(epoch + "/" + rr.seq());
              }
            }
          }
          return null;
        }));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= 5_000);
      child.destroyForcibly(); // SIGKILL
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      for (Future<?> f : clients) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdownNow();
    } finally {
      child.destroyForcibly();
    }

    try (ServerStore store = ServerStore.open(ServerConfig.builder().dataDir(data).build())) {
      Set<String> present = new HashSet<>();
      long after = 0;
      for (int pages = 0; pages < 1000; pages++) {
        List<StoredRecord> page = store.page(after, 10_000, null, null);
        if (page.isEmpty()) {
          break;
        }
        for (StoredRecord r : page) {
          assertThat(present.add(r.epoch() + "/" + r.message().seq())).isTrue();
          assertThat(r.message()).isEqualTo(Batches.message("dev-1", r.epoch(), r.message().seq()));
        }
        after = page.getLast().serverSeq();
      }
      assertThat(present).containsAll(acked);
    }
  }
}
