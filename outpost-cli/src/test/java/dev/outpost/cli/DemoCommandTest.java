package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code outpost demo}: flag checks (exit 2 naming the flag) and one tiny real run. */
class DemoCommandTest {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({
      "--devices, 0, '--devices must be 1..500, was 0'",
      "--devices, 501, '--devices must be 1..500, was 501'",
      "--duration, 0, '--duration must be 1..3600, was 0'",
      "--drain-timeout, -5, '--drain-timeout must be 1..3600, was -5'",
      "--chaos, sometimes, '--chaos must be on or off, was ''sometimes'''",
      "--devices, many, '--devices'"})
  void aBadFlagIsAUsageErrorNamingTheFlag(String flag, String value, String message) {
    MainTest.Result r = MainTest.run("demo", flag, value);
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains(message).contains("Usage: outpost demo");
    assertThat(r.out()).doesNotContain("RESULT");
  }

  @Test
  void helpListsTheFlags() {
    MainTest.Result r = MainTest.run("demo", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("--devices", "--duration", "--chaos", "--seed", "--data-dir", "--drain-timeout");
  }

  @Test
  void aTinyRunPrintsTheSeedLiveLinesAndTheReportAndExitsZero() {
    Path data = dir.resolve("demo");
    MainTest.Result r = MainTest.run("demo", "--devices", "2", "--duration", "2", "--chaos", "OFF",
        "--seed", "99", "--drain-timeout", "20", "--data-dir", data.toString());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("seed 99 (replay: --seed 99)", "online ", "backlog ", "delivered/s ",
        "outpost demo report: 2 devices, 2 s, chaos off, seed 99");
    assertThat(r.out().strip().lines().reduce((a, b) -> b).orElseThrow())
        .isEqualTo("RESULT: OK (lost 0, duplicates 0, replicas converged)");
    assertThat(data.resolve("server")).isDirectory();
  }
}
