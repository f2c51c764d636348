package dev.outpost.cli;

import dev.outpost.edge.DeadLetter;
import dev.outpost.edge.Outbox;
import dev.outpost.agent.AgentConfig;
import dev.outpost.agent.AgentLock;
import dev.outpost.edge.StoreMaintenance;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code outpost dlq list|retry|purge}: the dead letters of an agent's outbox. Listing reads the
 * store file. Retry and purge go through the running agent's API when one runs (so its live
 * counters stay right); otherwise they take the data dir's lock (no agent can start meanwhile)
 * and open the store directly.
 */
@Command(name = "dlq", mixinStandardHelpOptions = true,
    description = "List, retry or purge dead letters (records the server refused for good).",
    subcommands = {CommandLine.HelpCommand.class})
public final class DlqCommand implements Runnable {
  private static final int CHUNK = 1000;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: list, retry or purge");
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List dead letters with the server's reason.")
  int list(@Mixin DataDirOptions where,
      @Option(names = "--after", paramLabel = "SEQ", description = "Start after this seq. Default 0.") long after,
      @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "Per page. Default 50.") int limit,
      @Option(names = "--payload", description = "Show payloads.") boolean payloads,
      @Option(names = "--json", description = "Print JSON.") boolean json) throws Exception {
    AgentConfig config = load(where);
    if (config == null) {
      return 2;
    }
    try (StoreMaintenance store = StoreMaintenance.open(config.dataDir())) {
      RecordTable.print(spec.commandLine().getOut(), store.deadLetters(after, Math.max(1, Math.min(limit, 10_000))),
          true, payloads, json, "outpost dlq list");
    }
    return 0;
  }

  @Command(name = "retry", mixinStandardHelpOptions = true,
      description = "Move dead letters back to pending (fresh attempt count): the uplink sends them again.")
  int retry(@Mixin DataDirOptions where,
      @Option(names = "--all", description = "Every dead letter.") boolean all,
      @Parameters(paramLabel = "SEQ", arity = "0..*", description = "Seqs of the dead letters.") List<Long> seqs) {
    return act(where, all, seqs, true);
  }

  @Command(name = "purge", mixinStandardHelpOptions = true,
      description = "Delete dead letters for good (counted as purged).")
  int purge(@Mixin DataDirOptions where,
      @Option(names = "--all", description = "Every dead letter (needs --yes).") boolean all,
      @Option(names = "--yes", description = "Confirm --all.") boolean yes,
      @Parameters(paramLabel = "SEQ", arity = "0..*", description = "Seqs of the dead letters.") List<Long> seqs) {
    if (all && !yes) {
      spec.commandLine().getErr().println("outpost dlq purge: --all deletes every dead letter for good; add --yes");
      return 2;
    }
    return act(where, all, seqs, false);
  }

  private int act(DataDirOptions where, boolean all, List<Long> seqs, boolean retry) {
    PrintWriter err = spec.commandLine().getErr();
    String verb = retry ? "retry" : "purge";
    if (all == (seqs != null && !seqs.isEmpty())) {
      err.println("outpost dlq " + verb + ": give either SEQ... or --all");
      return 2;
    }
    AgentConfig config = load(where);
    if (config == null) {
      return 2;
    }
    Optional<AgentClient> agent = AgentClient.find(config.dataDir());
    int count;
    if (agent.isPresent()) {
      String body = all ? "{\"all\": true}"
          : "{\"seqs\": [" + seqs.stream().map(String::valueOf).collect(Collectors.joining(",")) + "]}";
      count = agent.get().post("/v1/dlq/" + verb, body).path("count").asInt();
      err.println("(through the running agent at " + agent.get().api() + ")");
    } else {
      if (!Files.isRegularFile(StoreMaintenance.dbFile(config.dataDir()))) {
        err.println("outpost dlq " + verb + ": no outbox store in " + config.dataDir());
        return 1;
      }
      try (AgentLock lock = AgentLock.acquire(config.dataDir());
          Outbox outbox = Outbox.open(config.dataDir(), config.outboxConfig())) {
        List<Long> targets = all ? allDeadLetters(outbox) : seqs;
        count = 0;
        for (int i = 0; i < targets.size(); i += CHUNK) {
          List<Long> chunk = targets.subList(i, Math.min(targets.size(), i + CHUNK));
          count += retry ? outbox.retryDeadLetters(chunk) : outbox.purgeDeadLetters(chunk);
          if (targets.size() > CHUNK) {
            err.printf("%s: %d of %d%n", verb, Math.min(targets.size(), i + CHUNK), targets.size());
          }
        }
      }
    }
    spec.commandLine().getOut().println(retry
        ? count + " dead letter(s) moved back to pending"
        : count + " dead letter(s) purged for good");
    return 0;
  }

  private static List<Long> allDeadLetters(Outbox outbox) {
    List<Long> seqs = new ArrayList<>();
    for (List<DeadLetter> page = outbox.deadLetters(0, CHUNK); !page.isEmpty();
        page = outbox.deadLetters(page.getLast().message().seq(), CHUNK)) {
      page.forEach(d -> seqs.add(d.message().seq()));
    }
    return seqs;
  }

  private AgentConfig load(DataDirOptions where) {
    return where.loadOrReport(spec);
  }
}
