package dev.outpost.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.outpost.agent.AgentLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The agent as a real child process on this test's class path, its output in {@code agent.log}
 * next to the data dir. For tests that stop it with SIGTERM or SIGKILL, or give its JVM flags.
 */
public final class AgentChild implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final String api;

  private AgentChild(Process process, Path log, String api) {
    this.process = process;
    this.log = log;
    this.api = api;
  }

  /**
   * Starts an agent for device dev-1 on {@code dataDir} against {@code serverUrl}, with
   * {@code jvmFlags} before its main class, and waits (30 s at most) until its local API is up.
   */
  public static AgentChild start(Path dataDir, String serverUrl, List<String> jvmFlags) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        "--enable-native-access=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info"));
    cmd.addAll(jvmFlags);
    cmd.addAll(List.of(Agent.class.getName(),
        "server-url=" + serverUrl, "device-id=dev-1", "token=test-token-123",
        "data-dir=" + dataDir, "api.port=0", "shutdown.drain-timeout=2s"));
    Path log = dataDir.resolveSibling("agent.log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("OUTPOST_"));
    Process process = pb.start();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> !process.isAlive() || AgentLock.probe(dataDir).map(AgentLock.Running::api).isPresent());
    AgentChild child = new AgentChild(process, log, null);
    assertThat(process.isAlive()).as(child.log()).isTrue();
    return new AgentChild(process, log, AgentLock.probe(dataDir).orElseThrow().api());
  }

  /** The local API's base URL. */
  public String api() {
    return api;
  }

  public Process process() {
    return process;
  }

  /** What the agent printed so far. */
  public String log() throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  /** SIGKILLs it if it still runs. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
