package dev.outpost.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a {@link FleetDemo} run produced, delivered and proved. Immutable.
 *
 * @param config the run's settings (seed included, to replay it)
 * @param produced records the producers tried to append
 * @param appendFailures of those, appends that failed (never acknowledged, so not "lost")
 * @param alertsProduced HIGH and CRITICAL alert records among the produced
 * @param delivery the read-back check: acknowledged, stored, lost, duplicates, order
 * @param resentDeduplicated re-sends the server answered {@code duplicate} (lost answers, retries):
 *     harmless, the proof that dedupe worked
 * @param deadLetters records the server refused for good (in the outboxes' dead-letter tables)
 * @param drained whether every outbox was empty before the drain timeout
 * @param drainTime how long the drain took (or the timeout)
 * @param undelivered records left in outboxes when the drain ended, by device (empty if drained)
 * @param longestOutage the longest REFUSE/BLACKHOLE outage a device's chaos schedule applied,
 *     null without chaos
 * @param longestDownSeen the longest a device's engine saw its link down (sampled each second)
 * @param chaosEpisodes fault episodes applied over all devices, by kind
 * @param alertLatency server receive time minus append time, for alert records
 * @param telemetryLatency the same for sensor readings
 * @param wireBytesUp bytes sent from the devices towards the server (bodies, headers, retries,
 *     heartbeats, health reports), counted by the proxies
 * @param retries requests that got no answer and were retried
 * @param elapsed the whole run, start to report
 */
public record DemoReport(
    FleetConfig config,
    long produced,
    long appendFailures,
    long alertsProduced,
    DeliveryReport delivery,
    long resentDeduplicated,
    long deadLetters,
    boolean drained,
    Duration drainTime,
    Map<String, Long> undelivered,
    Fleet.Outage longestOutage,
    Fleet.Outage longestDownSeen,
    Map<Fault.Kind, Integer> chaosEpisodes,
    Latency alertLatency,
    Latency telemetryLatency,
    long wireBytesUp,
    long retries,
    Duration elapsed,
    FieldTerminals.Report replicas) {

  /** Nearest-rank percentiles of a latency sample. */
  public record Latency(long count, Duration p50, Duration p99, Duration max) {}

  public DemoReport {
    undelivered = Map.copyOf(undelivered);
    chaosEpisodes = Map.copyOf(chaosEpisodes);
  }

  public long acknowledged() {
    return delivery.acknowledged();
  }

  public long stored() {
    return delivery.stored();
  }

  public long lost() {
    return delivery.lost();
  }

  public long duplicates() {
    return delivery.duplicates();
  }

  /**
   * The drain completed, the check found nothing lost, duplicated, reordered or altered, and the
   * field terminals' replicas (when there were any) converged with the server.
   */
  public boolean ok() {
    return drained && delivery.ok() && (replicas == null || replicas.ok());
  }

  /** 0 when {@link #ok()}, else 1: the {@code outpost demo} exit code. */
  public int exitCode() {
    return ok() ? 0 : 1;
  }

  /** Wire bytes up per stored record, 0 when nothing was stored. */
  public long bytesPerRecord() {
    return stored() == 0 ? 0 : Math.round((double) wireBytesUp / stored());
  }

  /** The report as an aligned table, ending with the {@link #resultLine()}. */
  public List<String> lines() {
    List<String> l = new ArrayList<>();
    l.add(String.format(Locale.ROOT, "outpost demo report: %d devices, %d s, chaos %s, seed %d",
        config.devices(), config.duration().toSeconds(), config.chaos() ? "on" : "off", config.seed()));
    l.add(row("produced", produced, String.format(Locale.ROOT, "%,d telemetry, %,d alerts%s",
        produced - alertsProduced, alertsProduced,
        appendFailures > 0 ? String.format(Locale.ROOT, ", %,d appends failed", appendFailures) : "")));
    l.add(row("acknowledged", acknowledged(), "durable in the outboxes"));
    l.add(row("stored", stored(), "read back from the server (GET /v1/messages)"));
    l.add(row("lost", lost(), "acknowledged, not stored"));
    l.add(row("duplicates", duplicates(), String.format(Locale.ROOT,
        "stored twice (re-sends the server deduplicated: %,d)", resentDeduplicated)));
    l.add(row("out of order", delivery.orderViolations() + delivery.mismatched(), "per (device, topic, priority) lane"));
    l.add(row("dead letters", deadLetters, "refused by the server"));
    l.add(rowText("drain", drained ? "done" : "TIMED OUT", drained
        ? "in " + human(drainTime)
        : String.format(Locale.ROOT, "after %s: %,d records left on %d devices %s", human(drainTime),
            undelivered.values().stream().mapToLong(Long::longValue).sum(), undelivered.size(), sample(undelivered))));
    if (longestOutage != null) {
      l.add(rowText("longest outage", human(longestOutage.duration()), longestOutage.device()
          + " (its engine saw the link down " + human(longestDownSeen.duration()) + " at most: "
          + longestDownSeen.device() + ")"));
      int episodes = chaosEpisodes.values().stream().mapToInt(Integer::intValue).sum();
      l.add(row("chaos episodes", episodes, chaosEpisodes.entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .map(e -> e.getKey().name().toLowerCase(Locale.ROOT) + " " + e.getValue())
          .collect(Collectors.joining(", "))));
    }
    l.add(latencyRow("alert latency", alertLatency, "alerts"));
    l.add(latencyRow("telemetry latency", telemetryLatency, "readings"));
    l.add(row("wire bytes/record", bytesPerRecord(), String.format(Locale.ROOT,
        "%,d B up in all, retries, heartbeats and health reports included", wireBytesUp)));
    l.add(row("retries", retries, "requests without an answer, sent again"));
    if (replicas != null) {
      l.add(rowText("replicas converged", replicas.converged() ? "yes" : "NO", String.format(Locale.ROOT,
          "%d field terminals, %d documents, %d conflicts; stock down by %,d (taken %,d); back-office edit in the"
          + " outage %s%s", replicas.terminals(), replicas.documents(), replicas.conflicts(), 10_000 - replicas.stockLeft(),
          replicas.stockTaken(), replicas.backOfficeEditSeen() ? "reached every terminal" : "MISSING",
          replicas.detail().isEmpty() ? "" : " (" + replicas.detail() + ")")));
    }
    l.add(rowText("elapsed", human(elapsed), ""));
    l.add(resultLine());
    return l;
  }

  /** {@code RESULT: OK (lost 0, duplicates 0)} or {@code RESULT: FAILED (...)} naming what failed. */
  public String resultLine() {
    if (ok()) {
      return String.format(Locale.ROOT, "RESULT: OK (lost %d, duplicates %d%s)", lost(), duplicates(),
          replicas == null ? "" : ", replicas converged");
    }
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "RESULT: FAILED (lost %,d, duplicates %,d", lost(), duplicates()));
    if (delivery.orderViolations() > 0) {
      sb.append(String.format(Locale.ROOT, ", out of order %,d", delivery.orderViolations()));
    }
    if (delivery.mismatched() > 0) {
      sb.append(String.format(Locale.ROOT, ", altered %,d", delivery.mismatched()));
    }
    if (!drained) {
      sb.append(String.format(Locale.ROOT, ", not drained: %,d records on %d devices",
          undelivered.values().stream().mapToLong(Long::longValue).sum(), undelivered.size()));
    }
    if (replicas != null && !replicas.ok()) {
      sb.append(", replicas ").append(replicas.converged() ? "converged but wrong" : "not converged")
          .append(replicas.detail().isEmpty() ? "" : ": " + replicas.detail());
    }
    return sb.append(")").toString();
  }

  @Override
  public String toString() {
    return String.join("\n", lines());
  }

  private static String row(String label, long value, String note) {
    return rowText(label, String.format(Locale.ROOT, "%,d", value), note);
  }

  private static String rowText(String label, String value, String note) {
    String line = String.format(Locale.ROOT, "  %-20s %14s   %s", label, value, note);
    return line.stripTrailing();
  }

  private static String latencyRow(String label, Latency l, String what) {
    if (l.count() == 0) {
      return rowText(label, "-", "no " + what + " stored");
    }
    return rowText(label, human(l.p50()) + " / " + human(l.p99()), String.format(Locale.ROOT,
        "p50 / p99 of %,d %s, max %s (server receive - device append)", l.count(), what, human(l.max())));
  }

  private static String sample(Map<String, Long> undelivered) {
    return undelivered.entrySet().stream().sorted(Map.Entry.comparingByKey()).limit(5)
        .map(e -> e.getKey() + " " + e.getValue())
        .collect(Collectors.joining(", ", "(", undelivered.size() > 5 ? ", ...)" : ")"));
  }

  /** 850 ms, 2.4 s, 75 s. */
  static String human(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    if (ms < 10_000) {
      return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
    return Math.round(ms / 1000.0) + " s";
  }
}
