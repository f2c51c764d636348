package dev.outpost.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keeps the benchmark runnable with tiny volumes (no figures are asserted). */
class AgentApiBenchmarkTest {
  @TempDir Path dir;

  @Test
  void shortRunReportsEveryModeAndBothRatios() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    AgentApiBenchmark.Result r = AgentApiBenchmark.run(new AgentApiBenchmark.Options(2, 200, 2_000, 100, 50, dir),
        new PrintStream(buf, true, StandardCharsets.UTF_8));
    assertThat(r.httpSingle().records()).isEqualTo(200);
    assertThat(r.httpBatch().records()).isEqualTo(2_000);
    assertThat(r.appendAll().perSecond()).isPositive();
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("ratio HTTP NDJSON");
  }
}
