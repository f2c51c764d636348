package dev.outpost.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Counts live threads, virtual ones included, whose name starts with a prefix. Virtual threads
 * are invisible to {@code Thread.getAllStackTraces()}, so this reads a JSON thread dump.
 */
final class ThreadCensus {
  private ThreadCensus() {}

  static int count(String prefix) {
    try {
      Path dir = Files.createTempDirectory("threads");
      Path file = dir.resolve("dump.json");
      try {
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
            .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
        JsonNode containers = new ObjectMapper().readTree(file.toFile())
            .path("threadDump").path("threadContainers");
        int n = 0;
        for (JsonNode container : containers) {
          for (JsonNode t : container.path("threads")) {
            if (t.path("name").asText().startsWith(prefix)) {
              n++;
            }
          }
        }
        return n;
      } finally {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
