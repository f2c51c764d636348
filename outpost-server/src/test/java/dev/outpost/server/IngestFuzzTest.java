package dev.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.RecordResult;
import dev.outpost.core.wire.ContentEncoding;
import dev.outpost.core.wire.WireCodec;
import dev.outpost.server.testing.Http;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throws a few thousand random and mutated bodies (JSON, binary, gzip, zstd, wrong headers) at a
 * real server over HTTP. Afterwards the server still answers, no request got a 5xx, and the store
 * holds exactly the records the server said it stored, each whole and exactly as the body that
 * carried it decodes. Seeded: the seed is printed, and {@code -Doutpost.fuzz.seed=N} replays it.
 */
class IngestFuzzTest {
  static final int REQUESTS = 3000;
  static final Set<Integer> ALLOWED = Set.of(200, 400, 401, 403, 413, 415);
  @TempDir Path dir;

  @Test
  void randomAndMutatedBodiesNeverCrashTheServerNorStoreHalfARecord() {
    long seed = Long.getLong("outpost.fuzz.seed", System.nanoTime());
    System.out.println("IngestFuzzTest seed=" + seed + " (replay with -Doutpost.fuzz.seed=" + seed + ")");
    Random rnd = new Random(seed);
    ServerConfig config = ServerConfig.builder().port(0).dataDir(dir).adminToken("admin-secret")
        .maxBodyBytes(64 << 10).maxInflatedBytes(256 << 10).maxBatchRecords(200).maxPayloadBytes(4096).build();
    try (OutpostServer server = OutpostServer.start(config); Http http = new Http(server.url())) {
      String token = server.devices().add("dev-1");
      server.devices().add("dev-2");
      Map<String, Message> storedByKey = new HashMap<>();
      Map<Integer, Integer> statuses = new HashMap<>();
      for (int i = 0; i < REQUESTS; i++) {
        Batch original = randomBatch(rnd);
        String ct = rnd.nextInt(10) == 0 ? pick(rnd, "text/plain", "", "application/xml", "application/vnd.outpost.v2")
            : rnd.nextBoolean() ? WireCodec.JSON : WireCodec.BINARY;
        byte[] body = ct.equals(WireCodec.BINARY) ? WireCodec.encodeBinary(original) : WireCodec.encodeJson(original);
        int mutation = rnd.nextInt(6);
        if (mutation < 3) {
          body = mutate(rnd, body);
        }
        String enc = pick(rnd, "identity", "gzip", "zstd", null, null, null);
        if (enc != null) {
          body = ContentEncoding.parse(enc).encode(body);
          if (mutation == 3) {
            body = mutate(rnd, body);
          }
        }
        if (rnd.nextInt(25) == 0) {
          enc = pick(rnd, "br", "gzip", "zstd", "deflate, gzip");
        }
        if (rnd.nextInt(40) == 0) {
          body = new byte[rnd.nextInt(70_000)];
          rnd.nextBytes(body);
        }
        String tok = rnd.nextInt(30) == 0 ? pick(rnd, null, "opd_nope", "") : token;
        Http.Response r = http.post("/v1/ingest", tok, ct.isEmpty() ? null : ct, enc, body);
        statuses.merge(r.status(), 1, Integer::sum);
        assertThat(r.status()).as("request %d (seed %d): %s", i, seed, r.body()).isIn(ALLOWED);
        if (r.status() != 200) {
          assertThat(r.errorCode()).as("request %d: %s", i, r.body()).isNotEmpty();
          continue;
        }
        // The server accepted it, so the same codec on our side decodes the same batch.
        Batch sent = WireCodec.decodeBatch(ct.isEmpty() ? null : ct,
            ContentEncoding.parse(enc).decode(body, config.maxInflatedBytes()));
        List<RecordResult> results = WireCodec.decodeResult(r.body().getBytes(StandardCharsets.UTF_8)).results();
        assertThat(results).hasSize(sent.size());
        for (int k = 0; k < results.size(); k++) {
          Message m = sent.messages().get(k);
          assertThat(results.get(k).seq()).isEqualTo(m.seq());
          if (results.get(k).status() == RecordResult.Status.STORED) {
            Message before = storedByKey.put(sent.epoch() + "/" + m.seq(), m);
            assertThat(before).as("request %d stored %d/%d twice", i, sent.epoch(), m.seq()).isNull();
          }
        }
      }
      System.out.println("IngestFuzzTest statuses " + statuses + ", records stored " + storedByKey.size());
      assertThat(http.get("/healthz", null).status()).isEqualTo(200);
      assertThat(http.get("/readyz", null).status()).isEqualTo(200);

      List<StoredRecord> all = new ArrayList<>();
      long after = 0;
      for (int pages = 0; pages < 1000; pages++) {
        List<StoredRecord> page = server.store().page(after, 5000, null, null);
        if (page.isEmpty()) {
          break;
        }
        all.addAll(page);
        after = page.getLast().serverSeq();
      }
      assertThat(all).hasSize(storedByKey.size());
      for (StoredRecord s : all) {
        assertThat(s.deviceId()).isEqualTo("dev-1");
        assertThat(s.message()).isEqualTo(storedByKey.get(s.epoch() + "/" + s.message().seq()));
      }
      assertThat(statuses.getOrDefault(200, 0)).as("some bodies were valid").isGreaterThan(REQUESTS / 10);
    }
  }

  static Batch randomBatch(Random rnd) {
    String device = rnd.nextInt(20) == 0 ? "dev-2" : "dev-1";
    long epoch = rnd.nextInt(4);
    int n = rnd.nextInt(30) == 0 ? 150 + rnd.nextInt(100) : rnd.nextInt(12);
    long seq = 1 + rnd.nextInt(400);
    List<Message> ms = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] payload = new byte[rnd.nextInt(20) == 0 ? 4000 + rnd.nextInt(200) : rnd.nextInt(64)];
      if (rnd.nextBoolean()) {
        rnd.nextBytes(payload);
      } else {
        for (int b = 0; b < payload.length; b++) {
          payload[b] = (byte) ('a' + rnd.nextInt(26));
        }
      }
      Map<String, String> headers = new LinkedHashMap<>();
      for (int h = rnd.nextInt(3); h > 0; h--) {
        headers.put("k" + rnd.nextInt(5), randomText(rnd, 8));
      }
      String topic = rnd.nextInt(30) == 0 ? "" : "t/" + randomText(rnd, 6);
      ms.add(new Message(seq, topic, Priority.ofRank(rnd.nextInt(4)), rnd.nextLong(), headers, payload));
      seq += rnd.nextInt(8) == 0 ? 0 : 1;
    }
    return new Batch(device, epoch, ms);
  }

  static String randomText(Random rnd, int max) {
    StringBuilder sb = new StringBuilder();
    for (int i = rnd.nextInt(max + 1); i > 0; i--) {
      int kind = rnd.nextInt(20);
      sb.append(kind == 0 ? '\0' : kind == 1 ? '\ud800' : kind == 2 ? 'é' : (char) ('a' + rnd.nextInt(26)));
    }
    return sb.toString();
  }

  static byte[] mutate(Random rnd, byte[] in) {
    byte[] b = in.clone();
    switch (rnd.nextInt(5)) {
      case 0 -> { // flip a few bits
        for (int i = 1 + rnd.nextInt(4); i > 0 && b.length > 0; i--) {
          b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
        }
      }
      case 1 -> { // truncate
        b = java.util.Arrays.copyOf(b, b.length == 0 ? 0 : rnd.nextInt(b.length));
      }
      case 2 -> { // overwrite a byte with something nasty
        if (b.length > 0) {
          b[rnd.nextInt(b.length)] = (byte) (int) pick(rnd, 0, 0x7f, 0x80, 0xff, (int) '"', (int) '{', (int) ']', (int) ',');
        }
      }
      case 3 -> { // duplicate a slice
        if (b.length > 2) {
          int from = rnd.nextInt(b.length - 1);
          int len = 1 + rnd.nextInt(Math.min(64, b.length - from));
          byte[] out = new byte[b.length + len];
          System.arraycopy(b, 0, out, 0, from + len);
          System.arraycopy(b, from, out, from + len, b.length - from);
          b = out;
        }
      }
      default -> { // swap two bytes
        if (b.length > 1) {
          int x = rnd.nextInt(b.length);
          int y = rnd.nextInt(b.length);
          byte t = b[x];
          b[x] = b[y];
          b[y] = t;
        }
      }
    }
    return b;
  }

  @SafeVarargs
  static <T> T pick(Random rnd, T... options) {
    return options[rnd.nextInt(options.length)];
  }
}
