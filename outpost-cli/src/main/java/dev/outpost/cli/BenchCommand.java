package dev.outpost.cli;

import dev.outpost.bench.BenchRunner;
import dev.outpost.bench.BenchTable;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code outpost bench append|drain|ingest|agent|sync|all [--quick] [--json FILE]}: runs the
 * benchmarks and prints one table, each figure next to the baseline measured in the same run.
 * Progress and the benchmarks' own tables go to stderr, the summary table to stdout.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Run the benchmarks and print one table: each figure, the baseline measured in the same run",
        "(raw SQLite, a naive commit-per-record writer, uncompressed JSON), the ratio and the target.",
        "The agent figures start the agent as a child process on stores with 0, 100k and 1M pending records."})
public final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", defaultValue = "all", paramLabel = "WHAT",
      description = "append, drain, ingest, agent, sync or all. Default: all")
  String suite;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures as JSON to FILE.")
  Path json;

  @Option(names = "--quick", description = "Smaller volumes (about a minute; 100k instead of 1M pending).")
  boolean quick;

  @Option(names = "--work-dir", paramLabel = "DIR",
      description = "Where the benchmark stores go (deleted afterwards). Default: a new temp dir")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    if (!BenchRunner.SUITES.contains(suite)) {
      throw new IllegalArgumentException("unknown benchmark '" + suite + "'; known: append, drain, ingest, agent, sync, all");
    }
    Path work = workDir != null ? workDir.resolve("outpost-bench-run") : Files.createTempDirectory("outpost-bench-");
    PrintStream progress = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    BenchRunner.Report r = BenchRunner.run(suite, quick ? BenchRunner.Scale.QUICK : BenchRunner.Scale.FULL, work,
        progress);
    spec.commandLine().getOut().print(BenchTable.text(r));
    spec.commandLine().getOut().flush();
    if (json != null) {
      BenchTable.writeJson(r, json);
      spec.commandLine().getErr().println("figures written to " + json.toAbsolutePath());
    }
    return 0;
  }
}
