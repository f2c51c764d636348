package dev.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.server.testing.Http;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pull's request decoder against broken input, as the ingest decoder is fuzzed: valid cursors
 * mutated byte by byte, truncated, re-encoded with other numbers, and random parameters. Each is
 * answered 400 (or 200 for the cursor as handed out), never 500, never another device's data.
 */
class PullFuzzTest {
  @TempDir Path dir;

  @Test
  void brokenCursorsAndParametersAreRefusedWithAReason() {
    long seed = Long.getLong("outpost.seed", System.nanoTime());
    System.out.println("PullFuzzTest seed " + seed + " (rerun with -Doutpost.seed=" + seed + ")");
    SplittableRandom r = new SplittableRandom(seed);
    try (OutpostServer server = OutpostServer.start(ServerConfig.builder().port(0).dataDir(dir).adminToken("admin-secret")
            .syncCollections(SyncCollections.parse("collections:\n  orders: {}\n", "test")).build());
        Http http = new Http(server.url())) {
      String token = server.devices().add("dev-1");
      http.send("PUT", "/v1/docs/orders/a", "admin-secret", Map.of(), "{\"s\":1}".getBytes(StandardCharsets.UTF_8));
      String good = http.send("GET", "/v1/sync/pull", token, Map.of(), null).json().path("cursor").asText();
      byte[] raw = Base64.getUrlDecoder().decode(good);
      int refused = 0;
      for (int i = 0; i < 1500; i++) {
        String cursor;
        switch (r.nextInt(4)) {
          case 0 -> {
            byte[] b = raw.clone();
            b[r.nextInt(b.length)] = (byte) r.nextInt(32, 127);
            cursor = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
          }
          case 1 -> cursor = good.substring(0, r.nextInt(good.length()));
          case 2 -> cursor = Base64.getUrlEncoder().withoutPadding().encodeToString(
              ("1." + r.nextLong() + "." + r.nextInt(3) + "." + Long.toHexString(r.nextLong()) + ".abc")
                  .getBytes(StandardCharsets.US_ASCII));
          default -> {
            StringBuilder sb = new StringBuilder();
            for (int k = r.nextInt(0, 40); k > 0; k--) {
              sb.append((char) r.nextInt(33, 127));
            }
            cursor = sb.toString();
          }
        }
        String q = "/v1/sync/pull?cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)
            + (r.nextInt(5) == 0 ? "&limit=" + URLEncoder.encode(Integer.toString(r.nextInt(-5, 20_000)), StandardCharsets.UTF_8) : "")
            + (r.nextInt(5) == 0 ? "&wait=" + r.nextInt(-2, 40) : "");
        Http.Response res = http.send("GET", q, token, Map.of(), null);
        assertThat(res.status()).as("%s -> %s", q, res.body()).isIn(200, 400);
        if (res.status() == 400) {
          assertThat(res.json().path("error").path("message").asText()).isNotBlank();
          refused++;
        } else {
          assertThat(cursor).as("only a cursor as handed out is taken").isIn(good, "");
        }
      }
      assertThat(refused).isGreaterThan(1000);
    }
  }
}
