package dev.outpost.sim.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.MessageId;
import dev.outpost.sim.DeliveryReport;
import dev.outpost.sim.DemoReport;
import dev.outpost.sim.Fault;
import dev.outpost.sim.Fleet;
import dev.outpost.sim.FleetConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's verdict and table, from made-up numbers. */
class DemoReportTest {
  private static final DemoReport.Latency LATENCY =
      new DemoReport.Latency(10, Duration.ofMillis(120), Duration.ofMillis(2500), Duration.ofSeconds(3));

  @Test
  void anUndrainedRunWithLossFailsAndSaysWhatIsLeftWhere() {
    DeliveryReport delivery = new DeliveryReport(100, 97, 3,
        List.of(new MessageId("dev-02", 1, 5)), 0, List.of(), 0, List.of(), 0, List.of(), 0, List.of());
    DemoReport r = report(delivery, false, Map.of("dev-02", 3L));

    assertThat(r.ok()).isFalse();
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.resultLine()).isEqualTo("RESULT: FAILED (lost 3, duplicates 0, not drained: 3 records on 1 devices)");
    assertThat(r.lines()).anyMatch(l -> l.contains("TIMED OUT") && l.contains("(dev-02 3)"));
    assertThat(r.lines().getLast()).isEqualTo(r.resultLine());
  }

  @Test
  void aCleanRunIsOkAndItsTableIsAligned() {
    DeliveryReport delivery = new DeliveryReport(100, 100, 0, List.of(), 0, List.of(), 0, List.of(), 0,
        List.of(), 0, List.of());
    DemoReport r = report(delivery, true, Map.of());

    assertThat(r.ok()).isTrue();
    assertThat(r.exitCode()).isZero();
    assertThat(r.resultLine()).isEqualTo("RESULT: OK (lost 0, duplicates 0)");
    assertThat(r.bytesPerRecord()).isEqualTo(150);
    assertThat(r.lines()).contains(
        "  stored                          100   read back from the server (GET /v1/messages)",
        "  alert latency        120 ms / 2.5 s   p50 / p99 of 10 alerts, max 3.0 s (server receive - device append)",
        "  chaos episodes                    5   refuse 2, lose_answer 3");
  }

  @Test
  void aStoredDuplicateFails() {
    DeliveryReport delivery = new DeliveryReport(100, 101, 0, List.of(), 1,
        List.of(new MessageId("dev-01", 1, 9)), 0, List.of(), 0, List.of(), 0, List.of());
    assertThat(report(delivery, true, Map.of()).resultLine()).isEqualTo("RESULT: FAILED (lost 0, duplicates 1)");
  }

  private static DemoReport report(DeliveryReport delivery, boolean drained, Map<String, Long> left) {
    return new DemoReport(FleetConfig.builder(1).devices(2).build(), 100, 0, 10, delivery, 4, 0, drained,
        Duration.ofMillis(2400), left, new Fleet.Outage("dev-01", Duration.ofSeconds(7)),
        new Fleet.Outage("dev-01", Duration.ofSeconds(8)),
        Map.of(Fault.Kind.REFUSE, 2, Fault.Kind.LOSE_ANSWER, 3), LATENCY, LATENCY, 15_000, 12,
        Duration.ofSeconds(60), null);
  }
}
