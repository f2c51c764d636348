package dev.outpost.sim.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small tmpfs mounted for one test, to fill a real filesystem (ENOSPC). Needs root and mount
 * permission: {@link #tryMount} returns null where that is missing (CI containers), so the test
 * can skip. Not thread-safe.
 */
final class SmallFilesystem implements AutoCloseable {
  private final Path mountPoint;

  private SmallFilesystem(Path mountPoint) {
    this.mountPoint = mountPoint;
  }

  /** Mounts a tmpfs of {@code sizeKiB} at {@code mountPoint}, or returns null if not permitted. */
  static SmallFilesystem tryMount(Path mountPoint, int sizeKiB) throws IOException, InterruptedException {
    if (!System.getProperty("os.name").startsWith("Linux")) {
      return null;
    }
    Files.createDirectories(mountPoint);
    return run(List.of("mount", "-t", "tmpfs", "-o", "size=" + sizeKiB + "k", "tmpfs", mountPoint.toString()))
        ? new SmallFilesystem(mountPoint) : null;
  }

  Path root() {
    return mountPoint;
  }

  private static boolean run(List<String> cmd) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      return false; // no mount binary
    }
    return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    if (!run(List.of("umount", mountPoint.toString())) && !run(List.of("umount", "-l", mountPoint.toString()))) {
      throw new IOException("cannot unmount the test tmpfs at " + mountPoint);
    }
  }
}
