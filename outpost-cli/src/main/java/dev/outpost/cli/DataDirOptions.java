package dev.outpost.cli;

import dev.outpost.agent.AgentConfig;
import dev.outpost.agent.ConfigException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where the operator commands find an agent's data dir: a flag, the config file, or the environment. */
final class DataDirOptions {
  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "The agent's data dir (default: data-dir from --config or OUTPOST_DATA_DIR).")
  Path dataDir;

  @Option(names = "--config", paramLabel = "FILE",
      description = "The agent's YAML config file (default: OUTPOST_CONFIG).")
  Path config;

  /** Loads the config the way the agent does, needing only the data dir. Opens nothing. */
  AgentConfig load() {
    Map<String, String> flags = new HashMap<>();
    if (dataDir != null) {
      flags.put("data-dir", dataDir.toString());
    }
    return AgentConfig.load(config, System.getenv(), flags, false);
  }

  /** Like {@link #load} but prints a config error as {@code outpost COMMAND: …} and returns null. */
  AgentConfig loadOrReport(picocli.CommandLine.Model.CommandSpec spec) {
    try {
      return load();
    } catch (ConfigException e) {
      spec.commandLine().getErr().println("outpost " + spec.qualifiedName(" ").replaceFirst("^outpost ", "")
          + ": " + e.getMessage());
      return null;
    }
  }
}
