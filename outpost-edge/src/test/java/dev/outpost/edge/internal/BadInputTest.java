package dev.outpost.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.Priority;
import dev.outpost.edge.LeaseRequest;
import dev.outpost.edge.NewRecord;
import dev.outpost.edge.Outbox;
import dev.outpost.edge.OutboxConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BadInputTest {
  @TempDir Path dir;

  @Test
  void eachBadArgumentIsNamedAndNothingIsWritten() {
    OutboxConfig config = OutboxConfig.builder().maxPayloadBytes(1000).build();
    try (Outbox outbox = Outbox.open(dir, config)) {
      assertThatThrownBy(() -> outbox.append(null, new byte[1], Priority.LOW))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("topic is null");
      assertThatThrownBy(() -> outbox.append("", new byte[1], Priority.LOW))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("topic is empty");
      assertThatThrownBy(() -> outbox.append("t", new byte[1001], Priority.LOW))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("payload of 1001 bytes").hasMessageContaining("maxPayloadBytes 1000");
      assertThatThrownBy(() -> outbox.append("t", null, Priority.LOW))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("payload is null");
      assertThatThrownBy(() -> outbox.append("t", new byte[1], null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("priority is null").hasMessageContaining("CRITICAL, HIGH, NORMAL, LOW");
      Map<String, String> badHeaders = new HashMap<>();
      badHeaders.put("k", null);
      assertThatThrownBy(() -> outbox.append("t", new byte[1], Priority.LOW, badHeaders))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("header k=null");
      assertThatThrownBy(() -> outbox.appendAll(List.of(
              new NewRecord("t", new byte[1], Priority.LOW), new NewRecord("", new byte[1], Priority.LOW))))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("record 1 of the batch");
      assertThatThrownBy(() -> outbox.appendAsync("t", new byte[5000], Priority.LOW, Map.of()).join())
          .isInstanceOf(CompletionException.class).hasCauseInstanceOf(IllegalArgumentException.class);
      assertThat(outbox.stats().lastSeq()).isZero();
      assertThat(outbox.stats().pendingTotal()).isZero();
      assertThat(outbox.append("t", new byte[1000], Priority.LOW)).isEqualTo(1);
    }
  }

  @Test
  void aClosedOutboxSaysSo() {
    Outbox outbox = Outbox.open(dir, OutboxConfig.defaults());
    outbox.close();
    outbox.close();
    assertThatThrownBy(() -> outbox.append("t", new byte[1], Priority.LOW))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("outbox closed");
    assertThatThrownBy(() -> outbox.lease(LeaseRequest.of(1)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("outbox closed");
    assertThatThrownBy(outbox::stats).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> outbox.appendAsync("t", new byte[1], Priority.LOW, Map.of()).join())
        .hasCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void aSecondOpenOfTheSameDirectoryIsRefusedUntilTheFirstCloses() {
    try (Outbox first = Outbox.open(dir, OutboxConfig.defaults())) {
      first.append("t", new byte[1], Priority.LOW);
      assertThatThrownBy(() -> Outbox.open(dir, OutboxConfig.defaults()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already open").hasMessageContaining(dir.toString());
      assertThat(first.append("t", new byte[1], Priority.LOW)).isEqualTo(2);
    }
    try (Outbox again = Outbox.open(dir, OutboxConfig.defaults())) {
      assertThat(again.stats().pendingTotal()).isEqualTo(2);
    }
  }

  @Test
  void configRejectsBadValuesNamingThem() {
    assertThatThrownBy(() -> OutboxConfig.builder().budgetBytes(10))
        .hasMessageContaining("budgetBytes");
    assertThatThrownBy(() -> OutboxConfig.builder().watermarks(0.9, 0.8))
        .hasMessageContaining("watermarks");
    assertThatThrownBy(() -> OutboxConfig.builder().maxPayloadBytes(0))
        .hasMessageContaining("maxPayloadBytes");
  }
}
