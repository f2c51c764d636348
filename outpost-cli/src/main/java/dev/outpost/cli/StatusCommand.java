package dev.outpost.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.outpost.agent.AgentConfig;
import dev.outpost.agent.UplinkStatus;
import dev.outpost.agent.StatusDocument;
import dev.outpost.edge.StoreMaintenance;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code outpost status}: the agent's status. With an agent running it asks the agent (link state,
 * last sync and errors included); otherwise it reads the store file (read-only) and shows the
 * backlog with the link as STOPPED.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show an agent's backlog, storage, dead letters and link (running or stopped agent).")
public final class StatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin DataDirOptions where;

  @Option(names = "--json", description = "Print the status as JSON (the same document as GET /v1/status).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    AgentConfig config = where.loadOrReport(spec);
    if (config == null) {
      return 2;
    }
    Optional<AgentClient> agent = AgentClient.find(config.dataDir());
    JsonNode doc;
    if (agent.isPresent()) {
      doc = agent.get().get("/v1/status");
    } else {
      try (StoreMaintenance store = StoreMaintenance.open(config.dataDir())) {
        doc = StatusDocument.of(config.deviceId(), "stopped",
            store.stats(config.outboxConfig().budgetBytes(), System.currentTimeMillis()), UplinkStatus.stopped());
      }
    }
    if (json) {
      spec.commandLine().getOut().println(
          StatusDocument.JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
    } else {
      spec.commandLine().getOut().print(StatusDocument.table(doc));
      spec.commandLine().getOut().flush();
    }
    return 0;
  }
}
