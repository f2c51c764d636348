package dev.outpost.cli;

import dev.outpost.agent.AgentConfig;
import dev.outpost.agent.AgentLock;
import dev.outpost.agent.ValueType;
import dev.outpost.edge.StoreMaintenance;
import dev.outpost.edge.StoreRepair;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code outpost doctor [--repair]}: checks an agent's store (SQLite integrity check), shows the
 * space used and reclaimable, and with {@code --repair} vacuums a sound store or salvages a
 * damaged one into a fresh store (the damaged file is moved aside, never deleted). The check
 * works while the agent runs; a repair needs it stopped and holds the data dir's lock meanwhile.
 * Exit codes: 0 healthy or repaired, 1 problems found (run with --repair), 2 usage.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = "Check an agent's store: integrity, space used and reclaimable; --repair vacuums or salvages.")
public final class DoctorCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin DataDirOptions where;

  @Option(names = "--repair", description = "Vacuum a sound store; salvage a damaged one into a fresh store.")
  boolean repair;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    AgentConfig config = where.loadOrReport(spec);
    if (config == null) {
      return 2;
    }
    var dir = config.dataDir();
    if (!Files.isRegularFile(StoreMaintenance.dbFile(dir))) {
      err.println("outpost doctor: no outbox store in " + dir + " (" + StoreMaintenance.dbFile(dir) + " does not exist)");
      return 1;
    }
    boolean running = AgentLock.probe(dir).isPresent();
    out.println("store        " + StoreMaintenance.dbFile(dir) + (running ? "  (agent running)" : "  (no agent running)"));
    List<String> problems;
    StoreMaintenance.Space space = null;
    try (StoreMaintenance store = StoreMaintenance.open(dir)) {
      err.println("checking integrity (reads the whole file)...");
      long t0 = System.nanoTime();
      problems = store.integrityProblems(20);
      out.printf("integrity    %s  (%d ms)%n", problems.isEmpty() ? "ok" : problems.size() + " problem(s)",
          (System.nanoTime() - t0) / 1_000_000);
      problems.forEach(p -> out.println("  - " + p));
      if (problems.isEmpty()) {
        space = store.space();
        Map<String, Long> meta = store.meta();
        out.println("epoch        " + Long.toUnsignedString(meta.getOrDefault("epoch", 0L), 16)
            + "  (last seq " + meta.getOrDefault("last_seq", 0L) + ")");
        out.println("last close   " + (meta.getOrDefault("clean", 0L) == 1 ? "clean"
            : running ? "open (the agent is running)" : "NOT clean (crash or kill; the agent recovers on start)"));
        if (meta.getOrDefault("salvage_lost", 0L) > 0) {
          out.println("salvage lost " + meta.get("salvage_lost") + " unreadable row(s) in earlier repairs");
        }
      }
      int aside = store.countAside();
      if (aside > 0) {
        out.println("moved aside  " + aside + " corrupt/damaged store file(s) in " + dir + " (kept for forensics; delete by hand when done)");
      }
    }
    if (space != null) {
      out.printf("space        %s on disk (%s WAL), %s live, %s reclaimable by --repair%n",
          ValueType.formatBytesApprox(space.fileBytes() + space.walBytes()), ValueType.formatBytesApprox(space.walBytes()),
          ValueType.formatBytesApprox(space.liveBytes()), ValueType.formatBytesApprox(space.reclaimableBytes()));
    }
    if (!repair) {
      if (!problems.isEmpty()) {
        out.println("the store is damaged: stop the agent and run `outpost doctor --repair` to salvage what is readable");
        return 1;
      }
      return 0;
    }
    if (running) {
      err.println("outpost doctor: --repair needs the agent stopped (it holds " + dir.resolve(AgentLock.FILE) + ")");
      return 1;
    }
    try (AgentLock lock = AgentLock.acquire(dir)) {
      if (problems.isEmpty()) {
        err.println("vacuuming...");
        long[] sizes = StoreRepair.vacuum(dir);
        out.printf("vacuumed     %s -> %s%n", ValueType.formatBytesApprox(sizes[0]), ValueType.formatBytesApprox(sizes[1]));
      } else {
        err.println("salvaging readable rows into a fresh store...");
        StoreRepair.Salvage s = StoreRepair.salvage(dir, Clock.systemUTC(), err::println);
        out.printf("salvaged     %d record(s) and %d dead letter(s); %d unreadable row(s) lost%n",
            s.records(), s.deadLetters(), s.unreadable());
        out.println("epoch        " + Long.toUnsignedString(s.epoch(), 16)
            + (s.epochKept() ? " (kept)" : " (NEW: the old meta was unreadable)") + ", next seq after " + s.lastSeq());
        out.println("damaged file moved aside to " + s.movedAside() + " (not deleted)");
      }
    }
    return 0;
  }
}
