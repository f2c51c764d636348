package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ./outpost and ./mvnw scripts, run for real with a machine that only has Java 17. */
class LauncherTest {
  static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  @TempDir Path fakeBin;

  @Test
  void withoutJdk21TheLauncherSaysWhatToInstallAndExitsOne() throws Exception {
    for (String script : new String[] {"outpost", "mvnw"}) {
      Result r = runWithOnlyJava17(script, "--help");
      assertThat(r.code).as(script + " exit code").isEqualTo(1);
      assertThat(r.err)
          .as(script + " stderr")
          .contains("no JDK 21 or newer found")
          .contains("install");
    }
  }

  record Result(int code, String err) {}

  private Result runWithOnlyJava17(String script, String arg) throws IOException, InterruptedException {
    // A PATH whose java and javac claim to be 17 stands in for an old machine (an external edge).
    for (String tool : new String[] {"java", "javac"}) {
      Path p = fakeBin.resolve(tool);
      Files.writeString(p, "#!/bin/sh\necho '    java.specification.version = 17' >&2\n");
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve(script).toString(), arg);
    pb.environment().clear();
    pb.environment().put("PATH", fakeBin + ":/usr/bin:/bin");
    pb.environment().put("HOME", System.getProperty("user.home"));
    pb.environment().put("OUTPOST_JVM_DIRS", fakeBin.resolve("no-jdks-here").toString());
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    boolean done = p.waitFor(30, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
    }
    assertThat(done).as(script + " finished within 30 s").isTrue();
    return new Result(p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}
