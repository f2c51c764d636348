package dev.outpost.sim.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts a main class of the test classpath as a child JVM (small heap, C1 only, CDS) with its
 * output appended to a log file, and kills it with SIGKILL. Not thread-safe: one owner.
 */
final class ChildJvm {
  private final String name;
  private final Path log;
  private Process process;

  ChildJvm(String name, Path log) {
    this.name = name;
    this.log = log;
  }

  /** Starts {@code main} with {@code args}; a previous process must be dead. */
  void start(String heap, Class<?> main, List<String> args) throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException(name + " still runs as pid " + process.pid());
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-Xss512k",
        "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:+UseSerialGC",
        "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().keySet().removeIf(k -> k.startsWith("OUTPOST_"));
    process = pb.start();
  }

  /** SIGKILL, then waits (bounded) until the process is gone. */
  void kill() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " (pid " + process.pid() + ") survived SIGKILL for 30 s");
    }
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  long pid() {
    return process == null ? -1 : process.pid();
  }

  /** The last {@code chars} characters of the log, for failure messages. */
  String logTail(int chars) {
    try {
      if (!Files.exists(log)) {
        return "(no log)";
      }
      String s = Files.readString(log);
      return s.length() <= chars ? s : "…" + s.substring(s.length() - chars);
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  String name() {
    return name;
  }
}
