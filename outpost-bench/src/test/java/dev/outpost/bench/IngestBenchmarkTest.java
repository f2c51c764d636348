package dev.outpost.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keeps the benchmark runnable: a one-second run with tiny volumes (no figures are asserted). */
class IngestBenchmarkTest {
  @TempDir Path dir;

  @Test
  void shortRunReportsRawAndHttpRatesForEachStore() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    IngestBenchmark.Options o = new IngestBenchmark.Options(2, Duration.ofSeconds(1), 5_000, 100, 300, 50, dir,
        IngestBenchmark.Options.defaults().pgAdminUrl(), 1);
    IngestBenchmark.Result r = IngestBenchmark.run(o, new PrintStream(buf, true, StandardCharsets.UTF_8));
    assertThat(r.stores()).isNotEmpty();
    assertThat(r.stores()).allSatisfy(s -> {
      assertThat(s.rawPerSecond()).isPositive();
      assertThat(s.httpRecords()).isPositive();
    });
    assertThat(buf.toString(StandardCharsets.UTF_8)).contains("ratio").contains("sqlite");
  }

  @Test
  void databaseUrlKeepsParameters() {
    assertThat(IngestBenchmark.databaseUrl("jdbc:postgresql://h:1/postgres?user=u", "db"))
        .isEqualTo("jdbc:postgresql://h:1/db?user=u");
  }
}
