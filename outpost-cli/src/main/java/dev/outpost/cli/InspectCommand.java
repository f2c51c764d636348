package dev.outpost.cli;

import dev.outpost.core.Priority;
import dev.outpost.agent.AgentConfig;
import dev.outpost.agent.ConfigException;
import dev.outpost.edge.StoreMaintenance;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code outpost inspect}: pages through pending (and in-flight) records or dead letters, read-only. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "List an agent's pending records or dead letters, a page at a time (read-only; the agent may run).")
public final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin DataDirOptions where;

  @Option(names = "--dead", description = "Show dead letters instead of pending records.")
  boolean dead;

  @Option(names = "--after", paramLabel = "SEQ", description = "Start after this seq (paging). Default 0.")
  long after;

  @Option(names = "--limit", paramLabel = "N", description = "Records per page (1..10000). Default 50.")
  int limit = 50;

  @Option(names = "--priority", paramLabel = "P", description = "Only this priority (pending records).")
  String priority;

  @Option(names = "--payload", description = "Show payloads (text, or base64 for binary).")
  boolean payloads;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (limit < 1 || limit > 10_000) {
      spec.commandLine().getErr().println("outpost inspect: --limit must be within 1..10000, was " + limit);
      return 2;
    }
    AgentConfig config;
    Priority only;
    try {
      config = where.load();
      only = priority == null ? null : Priority.parse(priority);
    } catch (ConfigException | IllegalArgumentException e) {
      spec.commandLine().getErr().println("outpost inspect: " + e.getMessage());
      return 2;
    }
    try (StoreMaintenance store = StoreMaintenance.open(config.dataDir())) {
      var rows = dead ? store.deadLetters(after, limit) : store.records(after, limit, only);
      RecordTable.print(spec.commandLine().getOut(), rows, dead, payloads, json,
          "outpost inspect" + (dead ? " --dead" : "") + (priority == null ? "" : " --priority " + only));
    }
    return 0;
  }
}
