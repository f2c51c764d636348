package dev.outpost.server.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real PostgreSQL for tests. Uses the one at 127.0.0.1:5432 (trust auth, user postgres); if none
 * answers, starts a throwaway cluster from {@code /usr/lib/postgresql/<v>/bin} in a temp dir on a
 * free port (as the {@code postgres} user when running as root, since initdb refuses root) and
 * stops it when the JVM exits. Only if no PostgreSQL binaries exist at all are the tests skipped,
 * by an assumption that says so. Each {@link #createDatabase()} makes a fresh database.
 * {@code -Doutpost.test.pg=throwaway} forces the throwaway cluster (to test this class itself).
 */
public final class TestPostgres {
  private static final Object LOCK = new Object();
  private static String serverBase; // jdbc:postgresql://host:port/ ; guarded by LOCK
  private static String unavailable; // why there is no PostgreSQL; guarded by LOCK

  private TestPostgres() {}

  /** A database that exists until {@link #close()}. */
  public record Database(String name, String url) implements AutoCloseable {
    @Override
    public void close() {
      try (Connection c = DriverManager.getConnection(base() + "postgres?user=postgres");
          Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      } catch (SQLException e) {
        throw new IllegalStateException("cannot drop test database " + name + ": " + e.getMessage(), e);
      }
    }
  }

  /** Creates {@code outpost_test_<random>}; skips the test if PostgreSQL cannot exist here. */
  /** True while a session of this database sleeps in {@code pg_sleep} (a test's trigger holding a write open). */
  public static boolean sleeping(java.sql.Statement s) throws java.sql.SQLException {
    try (java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        + " AND wait_event = 'PgSleep'")) {
      return rs.next() && rs.getInt(1) > 0;
    }
  }

  public static Database createDatabase() {
    String base = base();
    String name = "outpost_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(base + "postgres?user=postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database " + name + ": " + e.getMessage(), e);
    }
    return new Database(name, base + name + "?user=postgres");
  }

  private static String base() {
    synchronized (LOCK) {
      if (serverBase == null && unavailable == null) {
        boolean forceThrowaway = "throwaway".equals(System.getProperty("outpost.test.pg"));
        if (!forceThrowaway && answers("jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres")) {
          serverBase = "jdbc:postgresql://127.0.0.1:5432/";
        } else {
          startThrowawayCluster();
        }
      }
      assumeTrue(serverBase != null, () -> "PostgreSQL tests skipped: " + unavailable);
      return serverBase;
    }
  }

  private static boolean answers(String url) {
    try (Connection c = DriverManager.getConnection(url)) {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  private static void startThrowawayCluster() {
    Path bin;
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      bin = versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.naturalOrder())
          .orElse(null);
    } catch (IOException e) {
      bin = null;
    }
    if (bin == null) {
      unavailable = "nothing answers at 127.0.0.1:5432 and no /usr/lib/postgresql/*/bin/initdb is installed";
      return;
    }
    try {
      Path dir = Files.createTempDirectory("outpost-pg-");
      Path data = dir.resolve("data");
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      boolean root = "root".equals(System.getProperty("user.name"));
      if (root) {
        run(List.of("chown", "-R", "postgres", dir.toString()));
      }
      run(asUser(root, List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres",
          "--auth=trust", "--no-sync")));
      run(asUser(root, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-l",
          dir.resolve("log").toString(), "-o", "-p " + port + " -k " + dir + " -h 127.0.0.1 -F", "start")));
      Path pgCtl = bin.resolve("pg_ctl");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          run(asUser(root, List.of(pgCtl.toString(), "-D", data.toString(), "-m", "immediate", "stop")));
          try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
              Files.deleteIfExists(f);
            }
          }
        } catch (IOException e) {
          // the JVM is exiting; what is left is in the temp dir
        }
      }));
      serverBase = "jdbc:postgresql://127.0.0.1:" + port + "/";
    } catch (IOException e) {
      unavailable = "could not start a throwaway PostgreSQL cluster from " + bin + ": " + e.getMessage();
    }
  }

  private static List<String> asUser(boolean root, List<String> cmd) {
    if (!root) {
      return cmd;
    }
    List<String> all = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
    all.addAll(cmd);
    return all;
  }

  private static void run(List<String> cmd) throws IOException {
    Path log = Files.createTempFile("outpost-pg-cmd-", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out: " + String.join(" ", cmd));
      }
      String out = Files.readString(log);
      Files.deleteIfExists(log);
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    }
  }
}
