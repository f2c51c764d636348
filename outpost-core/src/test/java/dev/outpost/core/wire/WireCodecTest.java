package dev.outpost.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.Batch;
import dev.outpost.core.BatchResult;
import dev.outpost.core.Message;
import dev.outpost.core.Priority;
import dev.outpost.core.RecordResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WireCodecTest {

  static Batch randomBatch(Random rnd, int n) {
    List<Message> ms = new ArrayList<>();
    long seq = 1 + rnd.nextInt(1000);
    long ts = 1_700_000_000_000L;
    for (int i = 0; i < n; i++) {
      seq += 1 + rnd.nextInt(3);
      ts += rnd.nextInt(2000) - 500; // clocks go backwards too
      byte[] payload;
      if (rnd.nextBoolean()) {
        payload = ("{\"t\":" + rnd.nextInt(100) + ",\"unit\":\"°C\"}").getBytes(StandardCharsets.UTF_8);
      } else {
        payload = new byte[rnd.nextInt(64)];
        rnd.nextBytes(payload);
      }
      Map<String, String> headers = rnd.nextInt(4) == 0 ? Map.of("k", "v" + i) : Map.of();
      ms.add(new Message(seq, "topic/" + rnd.nextInt(3), Priority.ofRank(rnd.nextInt(4)), ts, headers, payload));
    }
    return new Batch("dev-" + rnd.nextInt(10), rnd.nextLong() >>> 11, ms);
  }

  @Test
  void jsonAndBinaryRoundTripTextAndBinaryPayloads() {
    Random rnd = new Random(42);
    for (int round = 0; round < 200; round++) {
      Batch b = randomBatch(rnd, rnd.nextInt(50));
      assertThat(WireCodec.decodeBatch(WireCodec.JSON, WireCodec.encodeJson(b))).isEqualTo(b);
      assertThat(WireCodec.decodeBatch(WireCodec.BINARY, WireCodec.encodeBinary(b))).isEqualTo(b);
    }
  }

  @Test
  void binaryIsMuchSmallerThanJsonAfterZstd() {
    Batch b = randomBatch(new Random(7), 500);
    byte[] json = WireCodec.encodeJson(b);
    byte[] bin = ContentEncoding.ZSTD.encode(WireCodec.encodeBinary(b));
    assertThat(bin.length).isLessThan(json.length);
    assertThat(ContentEncoding.ZSTD.decode(bin, 1 << 20)).isEqualTo(WireCodec.encodeBinary(b));
  }

  @Test
  void jsonErrorsNameTheField() {
    assertThatThrownBy(() -> WireCodec.decodeJson("{\"epoch\":1,\"messages\":[]}".getBytes()))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("'device'");
    assertThatThrownBy(
            () -> WireCodec.decodeJson(
                "{\"device\":\"d\",\"epoch\":1,\"messages\":[{\"seq\":1,\"topic\":\"t\"}]}".getBytes()))
        .hasMessageContaining("messages[0].payload");
    assertThatThrownBy(
            () -> WireCodec.decodeJson(
                "{\"device\":\"d\",\"epoch\":1,\"messages\":[{\"seq\":1,\"topic\":\"t\",\"priority\":\"URGENT\",\"payload\":\"x\"}]}"
                    .getBytes()))
        .hasMessageContaining("messages[0].priority")
        .hasMessageContaining("URGENT");
    assertThatThrownBy(() -> WireCodec.decodeJson("{not json".getBytes()))
        .hasMessageStartingWith("malformed JSON");
  }

  @Test
  void mutatedBinaryBodiesFailCleanlyNeverWithAnUnexpectedException() {
    Random rnd = new Random(1234);
    byte[] good = WireCodec.encodeBinary(randomBatch(rnd, 20));
    for (int i = 0; i < 5000; i++) {
      byte[] bad = Mutations.mutate(rnd, good);
      try {
        WireCodec.decodeBatch(WireCodec.BINARY, bad);
      } catch (WireFormatException expected) {
        // a clean refusal is fine; anything else (AIOOBE, OOM, NPE) fails the test
      } catch (IllegalArgumentException fromModel) {
        // Message/Batch validation, also a clean refusal
      }
    }
  }

  @Test
  void compressedBombsAreRefused() {
    byte[] zeros = new byte[10 << 20];
    byte[] gz = ContentEncoding.GZIP.encode(zeros);
    assertThatThrownBy(() -> ContentEncoding.GZIP.decode(gz, 1 << 20))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("limit");
    assertThatThrownBy(() -> ContentEncoding.ZSTD.decode("garbage".getBytes(), 1 << 20))
        .isInstanceOf(WireFormatException.class);
    assertThatThrownBy(() -> ContentEncoding.parse("br")).hasMessageContaining("supported");
  }

  @Test
  void resultsRoundTrip() {
    BatchResult r =
        new BatchResult(
            List.of(RecordResult.stored(1), RecordResult.duplicate(2), RecordResult.rejected(3, "payload too large")),
            123L);
    assertThat(WireCodec.decodeResult(WireCodec.encodeResult(r))).isEqualTo(r);
  }
}
