package dev.outpost.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The JVM flags the agent ships with, from {@code agent-jvm.options} beside this class: one
 * source for the {@code ./outpost} launcher, the deployment docs and the memory benchmark.
 */
public final class AgentJvmOptions {
  private AgentJvmOptions() {}

  /** The flags in file order, without comments and blank lines. */
  public static List<String> shipped() {
    try (InputStream in = AgentJvmOptions.class.getResourceAsStream("agent-jvm.options")) {
      if (in == null) {
        throw new IllegalStateException("agent-jvm.options is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .lines()
          .map(String::strip)
          .filter(l -> !l.isEmpty() && !l.startsWith("#"))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
