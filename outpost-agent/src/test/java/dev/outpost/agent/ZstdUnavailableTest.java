package dev.outpost.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outpost.edge.sync.IngestFarEnd;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * zstd-jni ships native code for common platforms only. On a device where it cannot load, the
 * agent must still deliver everything (gzip instead) and say why, not stall with records leased.
 * The child JVM is pointed at a zstd library that does not exist, which fails exactly as a
 * missing platform build does (UnsatisfiedLinkError, then NoClassDefFoundError).
 */
class ZstdUnavailableTest {
  @TempDir Path tmp;

  @Test
  void withoutZstdTheAgentSendsGzipLosesNothingAndSaysWhy() throws Exception {
    try (IngestFarEnd farEnd = new IngestFarEnd();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        AgentChild agent = AgentChild.start(tmp.resolve("data"), farEnd.uri().toString(),
            List.of("-DZstdNativePath=" + tmp.resolve("no-such-libzstd-jni.so")))) {
      for (int i = 0; i < 50; i++) {
        HttpResponse<String> r = http.send(
            HttpRequest.newBuilder(URI.create(agent.api() + "/v1/publish/t?priority=HIGH"))
                .POST(HttpRequest.BodyPublishers.ofString("r" + i)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      }

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(farEnd.stored).hasSize(50));
      assertThat(farEnd.stored).extracting(m -> new String(m.payload(), StandardCharsets.UTF_8))
          .containsExactlyElementsOf(IntStream.range(0, 50).mapToObj(i -> "r" + i).toList());
      assertThat(farEnd.contentEncodings).isNotEmpty().containsOnly("gzip");
      assertThat(agent.log()).contains("zstd is not available on this platform")
          .contains("Set sync.compression=gzip");
    }
  }
}
