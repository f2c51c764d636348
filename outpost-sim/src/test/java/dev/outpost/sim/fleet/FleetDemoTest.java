package dev.outpost.sim.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.sim.DemoReport;
import dev.outpost.sim.FleetConfig;
import dev.outpost.sim.FleetDemo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short fleet demo runs, end to end: embedded server, real outboxes and engines, one fault proxy
 * and chaos schedule per device, the read-back check.
 */
class FleetDemoTest {
  @TempDir Path dir;

  @Test
  void aShortChaoticRunLosesNothingAndItsNumbersAddUp() throws Exception {
    List<String> live = new CopyOnWriteArrayList<>();
    Path data = dir.resolve("kept");
    FleetConfig config = FleetConfig.builder(20261122L)
        .devices(4).duration(Duration.ofSeconds(6)).chaos(true).dataDir(data)
        .drainTimeout(Duration.ofSeconds(25)).build();

    DemoReport r = FleetDemo.run(config, live::add);

    assertThat(r.ok()).as("%s", r).isTrue();
    assertThat(r.exitCode()).isZero();
    assertThat(r.drained()).isTrue();
    assertThat(r.lost()).isZero();
    assertThat(r.duplicates()).isZero();
    assertThat(r.delivery().unexpected()).as("stored, never acknowledged").isZero();
    assertThat(r.produced()).isPositive().isGreaterThanOrEqualTo(r.acknowledged());
    assertThat(r.acknowledged()).isEqualTo(r.produced() - r.appendFailures()).isEqualTo(r.stored());
    assertThat(r.alertLatency().count()).isEqualTo(r.alertsProduced());
    assertThat(r.alertLatency().count() + r.telemetryLatency().count()).isEqualTo(r.stored());
    assertThat(r.telemetryLatency().p50()).isLessThanOrEqualTo(r.telemetryLatency().p99());
    assertThat(r.telemetryLatency().p99()).isLessThanOrEqualTo(r.telemetryLatency().max());
    assertThat(r.wireBytesUp()).isPositive();
    assertThat(r.bytesPerRecord()).isPositive();
    assertThat(r.longestOutage()).isNotNull();
    assertThat(r.deadLetters()).isZero();

    assertThat(live.getFirst()).contains("4 devices", "chaos on", "seed 20261122", "--seed 20261122");
    assertThat(live.stream().filter(l -> l.matches("t=\\d+s  online \\d+  degraded \\d+  offline \\d+  backlog .*")))
        .hasSizeGreaterThanOrEqualTo(4);
    assertThat(live).anyMatch(l -> l.contains("drained"));
    assertThat(live).allMatch(l -> l.chars().noneMatch(c -> c == 27), "no ANSI escapes");
    assertThat(r.lines().getLast()).isEqualTo("RESULT: OK (lost 0, duplicates 0)");
    assertThat(String.join("\n", r.lines()))
        .contains("produced", "acknowledged", "stored", "lost", "duplicates", "longest outage",
            "alert latency", "telemetry latency", "wire bytes/record");

    // a given data directory is kept, and a second run refuses to reuse it
    assertThat(data.resolve("server")).isDirectory();
    assertThat(data.resolve("devices").resolve("dev-01")).isDirectory();
    assertThatThrownBy(() -> FleetDemo.run(config, live::add))
        .isInstanceOf(IOException.class).hasMessageContaining("is not empty");
  }

  @Test
  void withoutChaosEverythingArrivesAndTheTempDirectoryIsDeleted() throws Exception {
    List<String> before = tempDemoDirs();
    List<String> live = new CopyOnWriteArrayList<>();
    DemoReport r = FleetDemo.run(FleetConfig.builder(7).devices(2).duration(Duration.ofSeconds(2))
        .chaos(false).drainTimeout(Duration.ofSeconds(15)).build(), live::add);

    assertThat(r.ok()).as("%s", r).isTrue();
    assertThat(r.stored()).isEqualTo(r.acknowledged()).isPositive();
    assertThat(r.longestOutage()).isNull();
    assertThat(r.chaosEpisodes()).isEmpty();
    assertThat(r.lines()).noneMatch(l -> l.contains("chaos episodes"));
    assertThat(tempDemoDirs()).as("the temp data directory is gone").isEqualTo(before);
  }

  private static List<String> tempDemoDirs() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("outpost-demo-")).sorted().toList();
    }
  }
}
