package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The command's wiring; the runner itself is tested in outpost-bench (BenchRunnerTest). */
class BenchCommandTest {
  @Test
  void helpNamesEveryBenchmarkAndTheJsonOption() {
    MainTest.Result r = MainTest.run("bench", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("append, drain, ingest, agent, sync or all", "--json", "--quick");
  }

  @Test
  void anUnknownBenchmarkFailsWithTheKnownOnes() {
    MainTest.Result r = MainTest.run("bench", "fast");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("unknown benchmark 'fast'", "append, drain, ingest, agent, sync, all");
  }
}
