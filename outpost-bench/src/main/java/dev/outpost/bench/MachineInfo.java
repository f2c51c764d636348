package dev.outpost.bench;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a benchmark ran on, read from the JVM and (on Linux) {@code /proc}: figures mean little
 * without it. Fields read as "unknown" where the source is missing. Immutable.
 */
public record MachineInfo(int cpus, String cpuModel, String memory, String os, String jdk, String disk,
    String loadAverage) {

  static MachineInfo here(Path workDir) {
    return new MachineInfo(Runtime.getRuntime().availableProcessors(), procField("/proc/cpuinfo", "model name"),
        procField("/proc/meminfo", "MemTotal"),
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
        disk(workDir), currentLoad());
  }

  /** The 1, 5 and 15 minute load averages, or "unknown". */
  static String currentLoad() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static String procField(String file, String key) {
    try {
      for (String line : Files.readAllLines(Path.of(file))) {
        if (line.startsWith(key)) {
          return line.substring(line.indexOf(':') + 1).trim().replaceAll("\\s+", " ");
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return "unknown";
  }

  private static String disk(Path dir) {
    try {
      FileStore fs = Files.getFileStore(dir);
      return fs.type() + " (" + fs.name() + "), " + (fs.getUsableSpace() >> 30) + " GiB free";
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
