package dev.outpost.cli;

import dev.outpost.agent.Agent;
import dev.outpost.agent.AgentConfig;
import dev.outpost.agent.ConfigException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code outpost agent}: runs the edge agent until SIGTERM/SIGINT. Settings come from defaults,
 * the config file, {@code OUTPOST_*} variables and these flags, flags winning (docs/config.md).
 * A config error exits 2 before anything is opened.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
    description = {"Run the edge agent: a durable outbox, the uplink to the server, and a local HTTP API",
        "(POST /v1/publish/{topic}, GET /v1/status, /healthz, /readyz, /metrics). See docs/agent.md."})
public final class AgentCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--server", paramLabel = "URL", description = "Server base URL (server-url).")
  String server;

  @Option(names = "--device-id", paramLabel = "ID", description = "This device's id (device-id).")
  String deviceId;

  @Option(names = "--token", paramLabel = "T", description = "Device token (token); prefer --token-file or OUTPOST_TOKEN.")
  String token;

  @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the device token (token-file).")
  Path tokenFile;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Outbox directory (data-dir).")
  Path dataDir;

  @Option(names = "--api-port", paramLabel = "P", description = "Local API port, 0 for any (api.port, default 7411).")
  Integer apiPort;

  @Option(names = "--api-bind", paramLabel = "ADDR", description = "Local API address (api.bind, default 127.0.0.1).")
  String apiBind;

  @Option(names = "--config", paramLabel = "FILE", description = "YAML config file (default: OUTPOST_CONFIG).")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Set any config key, e.g. --set outbox.budget-bytes=2GiB.")
  Map<String, String> set = new LinkedHashMap<>();

  @Option(names = "--print-config", description = "Print every setting and where it came from, then exit.")
  boolean printConfig;

  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> flags = new LinkedHashMap<>(set);
    put(flags, "server-url", server);
    put(flags, "device-id", deviceId);
    put(flags, "token", token);
    put(flags, "token-file", tokenFile);
    put(flags, "data-dir", dataDir);
    put(flags, "api.port", apiPort);
    put(flags, "api.bind", apiBind);
    AgentConfig agentConfig;
    try {
      agentConfig = AgentConfig.load(config, System.getenv(), flags, !printConfig);
    } catch (ConfigException e) {
      spec.commandLine().getErr().println("outpost agent: " + e.getMessage());
      return 2;
    }
    if (printConfig) {
      spec.commandLine().getOut().print(agentConfig.describe());
      spec.commandLine().getOut().flush();
      return 0;
    }
    Agent.run(agentConfig);
    return 0;
  }

  private static void put(Map<String, String> flags, String key, Object value) {
    if (value != null) {
      flags.put(key, value.toString());
    }
  }
}
