package dev.outpost.core.wire;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.Batch;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Binary decode errors name the field and the message index (built lazily, only on error). */
class BinaryBatchErrorsTest {
  static byte[] twoMessages() {
    return WireCodec.encodeBinary(new Batch("d", 1, List.of(
        new Message(1, "t", Priority.HIGH, 1, Map.of(), new byte[] {1, 2, 3}),
        new Message(2, "t", Priority.HIGH, 2, Map.of(), new byte[] {4, 5, 6}))));
  }

  @Test
  void truncatedPayloadNamesItsMessage() {
    byte[] body = twoMessages();
    byte[] cut = Arrays.copyOf(body, body.length - 1);
    assertThatThrownBy(() -> WireCodec.decodeBatch(WireCodec.BINARY, cut))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("messages[1].payload");
  }

  @Test
  void badPriorityNamesItsMessage() {
    byte[] body = twoMessages();
    // layout: OPB1, device (2), epoch (1), count (1), then message 0: seqDelta, topicRef 0, topic (2), priority
    body[4 + 2 + 1 + 1 + 1 + 1 + 2] = 9;
    assertThatThrownBy(() -> WireCodec.decodeBatch(WireCodec.BINARY, body))
        .hasMessageContaining("messages[0].priority");
  }

  @Test
  void truncatedHeaderNamesTheBatchField() {
    assertThatThrownBy(() -> WireCodec.decodeBatch(WireCodec.BINARY, new byte[] {'O', 'P', 'B', '1', 5}))
        .hasMessageContaining("field 'device'");
  }
}
