package dev.outpost.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.MessageId;
import dev.outpost.core.Priority;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AckLedgerTest {
  @TempDir Path dir;

  @Test
  void concurrentProducersWriteAFileThatReadsBackWhole() throws Exception {
    Path file = dir.resolve("acks.jsonl");
    try (AckLedger ledger = AckLedger.appendingTo(file);
        ExecutorService pool = Executors.newFixedThreadPool(4)) {
      List<Future<?>> producers = new ArrayList<>();
      for (int p = 0; p < 4; p++) {
        String device = "dev-" + p;
        producers.add(pool.submit(() -> {
          for (int seq = 1; seq <= 500; seq++) {
            ledger.acknowledged(new MessageId(device, 77, seq), "topic/ä", Priority.ofRank(seq % 4));
          }
        }));
      }
      for (Future<?> f : producers) {
        f.get();
      }
      ledger.acknowledged(new MessageId("dev-0", 77, 1), "topic/ä", Priority.HIGH); // repeat: kept once
      assertThat(ledger.size()).isEqualTo(2000);
    }
    assertThat(Files.readAllLines(file)).hasSize(2000);

    AckLedger back = AckLedger.read(file);
    assertThat(back.size()).isEqualTo(2000);
    assertThat(back.entries()).contains(
        new AckLedger.Entry(new MessageId("dev-3", 77, 497), "topic/ä", Priority.HIGH));
    assertThat(back.tornLines()).isZero();
  }

  @Test
  void aTornLastLineIsSkippedAndFilesMerge() throws IOException {
    Path a = dir.resolve("a.jsonl");
    Path b = dir.resolve("b.jsonl");
    try (AckLedger la = AckLedger.appendingTo(a); AckLedger lb = AckLedger.appendingTo(b)) {
      la.acknowledged(new MessageId("dev-a", 1, 1), "t", Priority.LOW);
      lb.acknowledged(new MessageId("dev-b", 2, 1), "t", Priority.CRITICAL);
    }
    Files.writeString(a, "{\"device\":\"dev-a\",\"epoch\":1,\"se", StandardOpenOption.APPEND);

    AckLedger merged = AckLedger.read(List.of(a, b));
    assertThat(merged.size()).isEqualTo(2);
    assertThat(merged.tornLines()).isEqualTo(1);
    assertThat(merged.contains(new MessageId("dev-b", 2, 1))).isTrue();
  }

  @Test
  void aMalformedLineInTheMiddleNamesFileAndLine() throws IOException {
    Path f = dir.resolve("bad.jsonl");
    Files.writeString(f, "{\"device\":\"d\",\"epoch\":1,\"seq\":1,\"topic\":\"t\",\"priority\":\"LOW\"}\n"
        + "garbage\n", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> AckLedger.read(f))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("bad.jsonl line 2");
  }
}
