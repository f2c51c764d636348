package dev.outpost.sim;

import dev.outpost.edge.agent.Agent;
import dev.outpost.edge.agent.AgentConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs the agent as a child process exactly as {@code outpost agent} does (AgentConfig.load,
 * then Agent.run), for the chaos suite and the footprint benchmark, where the CLI is not on the
 * classpath: args are {@code key=value} config flags (no environment, no config file).
 */
public final class AgentProcessMain {
  private AgentProcessMain() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> flags = new LinkedHashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      flags.put(a.substring(0, eq), a.substring(eq + 1));
    }
    Agent.run(AgentConfig.load(null, Map.of(), flags, true));
  }
}
