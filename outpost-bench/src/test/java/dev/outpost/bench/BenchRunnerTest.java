package dev.outpost.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner at smoke scale: every row is there, the JSON holds them. Not a timed assertion. */
class BenchRunnerTest {
  @TempDir Path tmp;

  @Test
  void allAtSmokeScalePrintsEveryFigureWithItsBaselineAndWritesJson() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    BenchRunner.Report r = BenchRunner.run("all", BenchRunner.Scale.SMOKE, tmp.resolve("work"),
        new PrintStream(log, true, StandardCharsets.UTF_8));

    assertThat(r.figures()).extracting(Figure::group)
        .containsOnly("append", "drain", "ingest", "agent", "sync")
        .contains("append", "drain", "ingest", "agent", "sync");
    assertThat(r.figures()).extracting(Figure::name).contains(
        "durable appends, sync, 1 producer", "wire bytes per record", "requests per 1000 records",
        "agent RSS, 2,000 pending (JVM defaults)", "process start to first 202, 2,000 pending (JVM defaults)",
        "Outbox.open + first append, 2,000 pending",
        "process start to first 202, 2,000 pending (edge flags + CDS)",
        "merge of device ops through ingest, 2 devices", "wire bytes per changed document, binary+zstd");
    assertThat(r.figures()).allSatisfy(f -> {
      assertThat(f.value()).as(f.name()).isPositive();
      assertThat(f.baseline()).as(f.name()).isNotBlank();
      assertThat(f.ratio()).as(f.name()).isPositive();
    });
    assertThat(r.machine().cpus()).isPositive();

    ByteArrayOutputStream table = new ByteArrayOutputStream();
    BenchTable.print(r, new PrintStream(table, true, StandardCharsets.UTF_8));
    assertThat(table.toString(StandardCharsets.UTF_8)).contains("baseline (same run)", "agent RSS", "machine:");

    Path json = tmp.resolve("out/bench.json");
    BenchTable.writeJson(r, json);
    JsonNode doc = new ObjectMapper().readTree(json.toFile());
    assertThat(doc.path("figures")).hasSize(r.figures().size());
    assertThat(doc.path("machine").path("cpus").asInt()).isPositive();
    assertThat(doc.path("markdown").asText()).contains("| figure |");
  }

  @Test
  void anUnknownBenchmarkIsNamed() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> BenchRunner.run("fast", BenchRunner.Scale.SMOKE, tmp, System.out))
        .hasMessageContaining("unknown benchmark 'fast'").hasMessageContaining("append, drain, ingest, agent, sync, all");
  }
}
