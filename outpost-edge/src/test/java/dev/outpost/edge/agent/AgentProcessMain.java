package dev.outpost.edge.agent;

import java.util.LinkedHashMap;
import java.util.Map;

/** Runs an agent as a child process for crash tests: args are {@code key=value} config flags. */
public final class AgentProcessMain {
  private AgentProcessMain() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> flags = new LinkedHashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      flags.put(a.substring(0, eq), a.substring(eq + 1));
    }
    Agent.run(AgentConfig.load(null, System.getenv(), flags, true));
  }
}
