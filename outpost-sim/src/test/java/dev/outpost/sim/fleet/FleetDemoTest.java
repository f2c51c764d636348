package dev.outpost.sim.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.sim.DemoReport;
import dev.outpost.sim.FleetConfig;
import dev.outpost.sim.FleetDemo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
    assertThat(r.lines().getLast()).isEqualTo("RESULT: OK (lost 0, duplicates 0, replicas converged)");
    assertThat(r.replicas().ok()).as(r.replicas().toString()).isTrue();
    assertThat(r.replicas().backOfficeEditSeen()).isTrue();
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
    List<String> live = new CopyOnWriteArrayList<>();
    DemoReport r = FleetDemo.run(FleetConfig.builder(7).devices(2).duration(Duration.ofSeconds(2))
        .chaos(false).drainTimeout(Duration.ofSeconds(15)).build(), live::add);

    assertThat(r.ok()).as("%s", r).isTrue();
    assertThat(r.stored()).isEqualTo(r.acknowledged()).isPositive();
    assertThat(r.longestOutage()).isNull();
    assertThat(r.chaosEpisodes()).isEmpty();
    assertThat(r.lines()).noneMatch(l -> l.contains("chaos episodes"));
    // This run's own directory (it prints it), not a diff of the shared /tmp where other
    // processes on the machine may create and delete demo directories at the same time.
    Path dir = live.stream()
        .map(l -> java.util.regex.Pattern.compile("data in (\\S+) \\(deleted at the end\\)").matcher(l))
        .filter(java.util.regex.Matcher::find)
        .map(m -> Path.of(m.group(1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no 'data in ... (deleted at the end)' line in " + live));
    assertThat(dir.getFileName().toString()).startsWith("outpost-demo-");
    assertThat(dir).as("the temp data directory is gone").doesNotExist();
  }
}
