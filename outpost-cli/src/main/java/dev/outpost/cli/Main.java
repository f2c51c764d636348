package dev.outpost.cli;

import java.io.PrintWriter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code outpost} command. Each subcommand is its own class in this package; this class only
 * wires them together and sets up logging. Exit codes: 0 success, 1 failure, 2 usage error.
 */
@Command(
    name = "outpost",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Offline-first store-and-forward and sync for edge devices.",
    subcommands = {
      DemoCommand.class,
      AgentCommand.class,
      ServerCommand.class,
      DeviceCommand.class,
      DocsCommand.Docs.class,
      DocsCommand.Conflicts.class,
      ExportCommand.class,
      StatusCommand.class,
      InspectCommand.class,
      DlqCommand.class,
      DoctorCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    routeJavaUtilLogging();
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the CLI in-process and returns the exit code (tests call this). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = commandLine();
    cli.setOut(out);
    cli.setErr(err);
    return cli.execute(args);
  }

  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          commandLine.getErr().println("outpost: " + describe(ex));
          return 1;
        });
    // With subcommands, picocli's default shows only "did you mean"; keep the usage as well.
    cli.setParameterExceptionHandler(
        (ex, args) -> {
          PrintWriter err = ex.getCommandLine().getErr();
          err.println(ex.getMessage());
          CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
          ex.getCommandLine().usage(err);
          return 2;
        });
    return cli;
  }

  static String describe(Throwable ex) {
    String m = ex.getMessage();
    return m == null || m.isBlank() ? ex.getClass().getSimpleName() : m;
  }

  @Override
  public void run() {
    // No subcommand: show what there is, and say it was a usage error.
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  /** Libraries that log through java.util.logging (Helidon) go to SLF4J, at WARN and above. */
  private static void routeJavaUtilLogging() {
    LogManager.getLogManager().reset();
    SLF4JBridgeHandler.install();
    Logger.getLogger("").setLevel(Level.WARNING);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"outpost " + (v == null ? "dev" : v)};
    }
  }
}
