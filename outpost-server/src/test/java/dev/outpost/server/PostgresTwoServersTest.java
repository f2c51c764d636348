package dev.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.core.Batch;
import dev.outpost.core.RecordResult;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.testing.Batches;
import dev.outpost.server.testing.Http;
import dev.outpost.server.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two server processes' worth of servers on one PostgreSQL database, taking the same batches at
 * the same moment, while a reader pages through {@code /v1/messages} with a cursor: every record
 * is stored exactly once, and the reader sees every one of them, none skipped, none twice.
 */
class PostgresTwoServersTest {
  static final String ADMIN = "admin-secret";
  static final int DEVICES = 4;
  static final int BATCHES = 12;
  static final int PER_BATCH = 150;
  static TestPostgres.Database db;

  @BeforeAll
  static void createDatabase() {
    db = TestPostgres.createDatabase();
  }

  @AfterAll
  static void dropDatabase() {
    if (db != null) {
      db.close();
    }
  }

  static OutpostServer start() {
    return OutpostServer.start(ServerConfig.builder().port(0).store(StoreKind.POSTGRES).pgUrl(db.url())
        .pgPoolSize(4).adminToken(ADMIN).build());
  }

  @Test
  void sameBatchesThroughTwoServersAreStoredOnceAndReadBackWithoutGaps() throws Exception {
    try (OutpostServer a = start(); OutpostServer b = start();
        Http ha = new Http(a.url()); Http hb = new Http(b.url())) {
      List<String> tokens = new ArrayList<>();
      for (int d = 0; d < DEVICES; d++) {
        tokens.add(a.devices().add("dev-" + d));
      }
      AtomicLong stored = new AtomicLong();
      AtomicLong duplicates = new AtomicLong();
      AtomicBoolean writing = new AtomicBoolean(true);
      ExecutorService pool = Executors.newFixedThreadPool(2 * DEVICES + 1);
      try {
        Future<List<Long>> reader = pool.submit(() -> readAll(ha, writing));
        List<Future<?>> writers = new ArrayList<>();
        for (int d = 0; d < DEVICES; d++) {
          for (Http h : List.of(ha, hb)) {
            String device = "dev-" + d;
            String token = tokens.get(d);
            writers.add(pool.submit(() -> {
              for (int i = 0; i < BATCHES; i++) {
                Batch batch = Batches.batch(device, 77, 1 + (long) i * PER_BATCH, PER_BATCH);
                Http.Response r = h.post("/v1/ingest", token, WireCodec.BINARY, "zstd",
                    ContentEncoding.ZSTD.encode(WireCodec.encodeBinary(batch)));
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                for (RecordResult rr : WireCodec.decodeResult(r.body().getBytes(StandardCharsets.UTF_8)).results()) {
                  (rr.status() == RecordResult.Status.STORED ? stored : duplicates).incrementAndGet();
                }
              }
              return null;
            }));
          }
        }
        for (Future<?> w : writers) {
          w.get(2, TimeUnit.MINUTES);
        }
        writing.set(false);
        List<Long> seen = reader.get(2, TimeUnit.MINUTES);

        int total = DEVICES * BATCHES * PER_BATCH;
        assertThat(stored.get()).isEqualTo(total);
        assertThat(duplicates.get()).isEqualTo(total);
        List<StoredRecord> all = new ArrayList<>();
        for (long after = 0; all.size() < total + 1; ) {
          List<StoredRecord> page = a.store().page(after, 10_000, null, null);
          if (page.isEmpty()) {
            break;
          }
          all.addAll(page);
          after = page.getLast().serverSeq();
        }
        assertThat(all).hasSize(total);
        Set<String> ids = new HashSet<>();
        all.forEach(r -> ids.add(r.deviceId() + "/" + r.message().seq()));
        assertThat(ids).hasSize(total);
        assertThat(seen).as("the paging reader saw every record once, in order")
            .isEqualTo(all.stream().map(StoredRecord::serverSeq).toList());
        long devStored = a.devices().list().stream().mapToLong(DeviceInfo::stored).sum();
        assertThat(devStored).isEqualTo(total);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** Pages with small limits while writers run, then drains what is left. */
  static List<Long> readAll(Http h, AtomicBoolean writing) {
    List<Long> seen = new ArrayList<>();
    long after = 0;
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    boolean lastRound = false;
    while (System.nanoTime() < deadline) {
      boolean stillWriting = writing.get();
      JsonNode page = h.get("/v1/messages?after=" + after + "&limit=97", ADMIN).json();
      for (JsonNode m : page.get("messages")) {
        seen.add(m.get("serverSeq").asLong());
      }
      after = page.get("next").asLong();
      if (page.get("messages").isEmpty()) {
        if (lastRound) {
          break;
        }
        lastRound = !stillWriting;
      }
    }
    return seen;
  }
}
