package dev.outpost.cli;

import dev.outpost.sim.DemoReport;
import dev.outpost.sim.FleetConfig;
import dev.outpost.sim.FleetDemo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code outpost demo}: the fleet demo ({@link FleetDemo}). This class only parses and checks the
 * flags, prints the live lines and the report, and turns the report into the exit code: 0 when
 * nothing was lost or duplicated and the drain completed, 1 otherwise, 2 for a bad flag.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {
        "Run a simulated fleet against an embedded server through a faulty network, then prove delivery.",
        "Starts a server on loopback, N devices (SQLite outbox + sync engine each) producing sensor readings "
            + "and alerts through fault proxies, prints one line per second, heals the network, waits for "
            + "the drain and checks every acknowledged record through the read-back API."})
public final class DemoCommand implements Callable<Integer> {
  private static final String LOG_LEVEL = "org.slf4j.simpleLogger.log.";
  /**
   * Loggers quieted during the run, and to what: ours log every chaos phase and link change at
   * INFO; Helidon warns when the proxy resets a connection mid-request, as it does on purpose.
   */
  private static final Map<String, String> QUIET = Map.of("dev.outpost", "warn", "io.helidon", "error");

  @Spec CommandSpec spec;

  @Option(names = "--devices", paramLabel = "N", defaultValue = "20",
      description = "Simulated devices, 1.." + FleetConfig.MAX_DEVICES + ". Default: ${DEFAULT-VALUE}")
  int devices;

  @Option(names = "--duration", paramLabel = "S", defaultValue = "45",
      description = "Seconds the devices produce before the network is healed, 1..3600. Default: ${DEFAULT-VALUE}")
  int durationSeconds;

  @Option(names = "--chaos", paramLabel = "on|off", defaultValue = "on",
      description = "Outages, resets, slow periods, 5xx/429 and lost answers per device. Default: ${DEFAULT-VALUE}")
  String chaos;

  @Option(names = "--seed", paramLabel = "N",
      description = "Seed of every random choice, to replay a run. Default: random, printed at start")
  Long seed;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Keep the server's and the devices' files here (new or empty directory). "
          + "Default: a temp directory, deleted at the end")
  Path dataDir;

  @Option(names = "--drain-timeout", paramLabel = "S", defaultValue = "60",
      description = "Seconds to wait for every outbox to drain after healing, 1..3600. Default: ${DEFAULT-VALUE}")
  int drainTimeoutSeconds;

  @Option(names = "--verbose", description = "Keep Outpost's INFO logs and library warnings (on stderr) during the run")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    FleetConfig config = config();
    PrintWriter out = spec.commandLine().getOut();
    List<String> quieted = new ArrayList<>();
    if (!verbose) {
      QUIET.forEach((logger, level) -> {
        if (System.getProperty(LOG_LEVEL + logger) == null) { // a level the user set wins
          System.setProperty(LOG_LEVEL + logger, level);
          quieted.add(LOG_LEVEL + logger);
        }
      });
    }
    DemoReport report;
    try {
      report = FleetDemo.run(config, line -> {
        out.println(line);
        out.flush();
      });
    } finally {
      quieted.forEach(System::clearProperty);
    }
    out.println();
    report.lines().forEach(out::println);
    out.flush();
    return report.exitCode();
  }

  /** Checks every flag, naming the one that is wrong (exit code 2). */
  FleetConfig config() {
    range("--devices", devices, 1, FleetConfig.MAX_DEVICES);
    range("--duration", durationSeconds, 1, (int) FleetConfig.MAX_DURATION.toSeconds());
    range("--drain-timeout", drainTimeoutSeconds, 1, (int) FleetConfig.MAX_DURATION.toSeconds());
    String c = chaos.trim().toLowerCase(Locale.ROOT);
    if (!c.equals("on") && !c.equals("off")) {
      throw new ParameterException(spec.commandLine(), "--chaos must be on or off, was '" + chaos + "'");
    }
    long s = seed != null ? seed : new SecureRandom().nextLong();
    return FleetConfig.builder(s)
        .devices(devices)
        .duration(Duration.ofSeconds(durationSeconds))
        .chaos(c.equals("on"))
        .dataDir(dataDir)
        .drainTimeout(Duration.ofSeconds(drainTimeoutSeconds))
        .build();
  }

  private void range(String flag, int value, int min, int max) {
    if (value < min || value > max) {
      throw new ParameterException(spec.commandLine(),
          flag + " must be " + min + ".." + max + ", was " + value);
    }
  }
}
