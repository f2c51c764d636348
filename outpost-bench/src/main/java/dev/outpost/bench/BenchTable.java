package dev.outpost.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Prints a {@link BenchRunner.Report} as a table (text or Markdown) and writes it as JSON. Stateless. */
public final class BenchTable {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private BenchTable() {}

  /** A fixed-width table for the terminal. */
  public static void print(BenchRunner.Report r, PrintStream out) {
    out.print(text(r));
    out.flush();
  }

  /** The fixed-width table as text, with the run's load and the machine. */
  public static String text(BenchRunner.Report r) {
    StringBuilder sb = new StringBuilder("\n");
    sb.append(String.format(Locale.ROOT, "outpost bench %s (%s), %.0f s; load average at start %s, at end %s%n",
        r.suite(), r.scale().name().toLowerCase(Locale.ROOT), r.seconds(), r.loadAtStart(),
        r.machine().loadAverage()));
    String fmt = "%-7s %-62s %12s %-10s %-38s %12s %8s %-14s %-4s%n";
    sb.append(String.format(Locale.ROOT, fmt, "group", "figure", "value", "unit", "baseline (same run)",
        "baseline", "ratio", "target", "ok"));
    for (Figure f : r.figures()) {
      sb.append(String.format(Locale.ROOT, fmt, f.group(), f.name(), number(f.value()), f.unit(),
          text(f.baseline()), number(f.baselineValue()), ratio(f), text(f.target()), verdict(f)));
    }
    if (r.figures().stream().anyMatch(f -> f.name().contains(AgentFootprint.Profile.EDGE.name()))) {
      sb.append(AgentFootprint.Profile.EDGE.name()).append(" = ")
          .append(String.join(" ", AgentFootprint.Profile.EDGE.jvmFlags()))
          .append("; CDS = -XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=FILE (written at the first clean stop)\n");
    }
    MachineInfo m = r.machine();
    sb.append(String.format(Locale.ROOT, "machine: %d CPUs (%s), %s RAM, %s, %s, disk %s%n", m.cpus(),
        m.cpuModel(), m.memory(), m.os(), m.jdk(), m.disk()));
    return sb.toString();
  }

  /** The same table in Markdown, for docs/benchmarks.md. */
  public static String markdown(BenchRunner.Report r) {
    StringBuilder sb = new StringBuilder("| figure | value | baseline (same run) | baseline value | ratio | target | ok |\n")
        .append("|---|---:|---|---:|---:|---|---|\n");
    for (Figure f : r.figures()) {
      sb.append(String.format(Locale.ROOT, "| %s: %s | %s %s | %s | %s | %s | %s | %s |%n", f.group(), f.name(),
          number(f.value()), f.unit(), text(f.baseline()), number(f.baselineValue()), ratio(f), text(f.target()),
          verdict(f)));
    }
    return sb.toString();
  }

  public static void writeJson(BenchRunner.Report r, Path file) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("suite", r.suite()).put("scale", r.scale().name().toLowerCase(Locale.ROOT)).put("seconds", r.seconds());
    root.put("load_average_at_start", r.loadAtStart());
    root.set("machine", JSON.valueToTree(r.machine()));
    ArrayNode rows = root.putArray("figures");
    for (Figure f : r.figures()) {
      ObjectNode n = rows.addObject().put("group", f.group()).put("figure", f.name()).put("value", f.value())
          .put("unit", f.unit()).put("baseline", f.baseline());
      if (f.baseline() != null) {
        n.put("baseline_value", f.baselineValue()).put("ratio", f.ratio());
      }
      n.put("target", f.target());
      if (f.pass() != null) {
        n.put("pass", f.pass());
      }
    }
    root.put("markdown", markdown(r));
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    JSON.writeValue(file.toFile(), root);
  }

  private static String number(double v) {
    if (Double.isNaN(v)) {
      return "-";
    }
    return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String ratio(Figure f) {
    double r = f.ratio();
    return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2fx", r);
  }

  private static String text(String s) {
    return s == null ? "-" : s;
  }

  private static String verdict(Figure f) {
    return f.pass() == null ? "-" : f.pass() ? "PASS" : "FAIL";
  }
}
