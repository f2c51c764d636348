package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Runs a child JVM on a store until it printed enough lines, then SIGKILLs it: the crash tests' tool. */
final class KilledChild {
  private KilledChild() {}

  /**
   * Starts {@code main} with {@code args}, waits for more than {@code killAfter} lines of output,
   * SIGKILLs it, and returns every line. The child writes to a file, read after it died: reading a
   * pipe lost its tail whenever {@code destroyForcibly} closed the stream before the reader had
   * drained it. A line cut by the kill matches no pattern of the tests and is ignored by them.
   *
   * @param name names the child's .out and .err files beside {@code dir}, for a failure's reader
   */
  static List<String> runAndKill(Path dir, String name, Class<?> main, List<String> args, int killAfter) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectError(dir.resolveSibling(dir.getFileName() + "-" + name + ".err").toFile());
    Path out = dir.resolveSibling(dir.getFileName() + "-" + name + ".out");
    pb.redirectOutput(out.toFile());
    Process child = pb.start();
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> lineCount(out) > killAfter || !child.isAlive());
      assertThat(child.isAlive()).as("child still running (see %s-%s.err)", dir, name).isTrue();
    } finally {
      child.destroyForcibly();
      child.waitFor();
    }
    return Files.readAllLines(out, StandardCharsets.UTF_8);
  }

  private static long lineCount(Path out) throws IOException {
    try (java.util.stream.Stream<String> lines = Files.lines(out, StandardCharsets.UTF_8)) {
      return lines.count();
    }
  }
}
