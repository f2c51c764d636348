package dev.outpost.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A smoke run of the append benchmark with tiny settings: it runs and prints its table. */
class AppendBenchmarkTest {
  @TempDir Path dir;

  @Test
  void smallRunMeasuresEveryPointAndBothBaselines() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AppendBenchmark.Options o = new AppendBenchmark.Options(dir, List.of(1, 2), Duration.ofMillis(300), 200, 8,
        2000, Duration.ofMillis(200));
    AppendBenchmark.Result r = AppendBenchmark.run(o, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertThat(r.points()).hasSize(4).allSatisfy(p -> assertThat(p.perSecond()).isPositive());
    assertThat(r.rawPerSecond()).isPositive();
    assertThat(r.naive().perSecond()).isPositive();
    assertThat(r.ratio()).isPositive();
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("baseline raw SQLite", "records/s", "p99 us");
    List<HeapProbe.Sample> heap = HeapProbe.run(dir.resolve("heap"), List.of(1000, 5000),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertThat(heap).extracting(HeapProbe.Sample::pending).containsExactly(1000L, 5000L);
  }
}
