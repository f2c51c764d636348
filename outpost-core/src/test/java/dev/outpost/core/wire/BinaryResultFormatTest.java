package dev.outpost.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.BatchResult;
import dev.outpost.core.RecordResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BinaryResultFormatTest {
  static BatchResult randomResult(Random rnd, int n) {
    List<RecordResult> results = new ArrayList<>(n);
    long seq = 1 + rnd.nextInt(1_000_000);
    for (int i = 0; i < n; i++) {
      seq += rnd.nextInt(10) == 0 ? rnd.nextInt(2000) - 1000 : 1; // mostly in order, some jumps
      seq = Math.max(1, seq);
      results.add(switch (rnd.nextInt(6)) {
        case 0 -> RecordResult.duplicate(seq);
        case 1 -> RecordResult.rejected(seq, "topic is " + rnd.nextInt(999) + " bytes, über the limit");
        default -> RecordResult.stored(seq);
      });
    }
    return new BatchResult(results, 1_700_000_000_000L + rnd.nextInt(1000));
  }

  @Test
  void binaryResultsRoundTripAndMatchTheJsonForm() {
    Random rnd = new Random(99);
    for (int n : new int[] {0, 1, 2, 17, 5000}) {
      BatchResult r = randomResult(rnd, n);
      byte[] binary = WireCodec.encodeResult(r, true);
      assertThat(WireCodec.decodeResult(WireCodec.BINARY, binary)).isEqualTo(r);
      assertThat(WireCodec.decodeResult(WireCodec.JSON, WireCodec.encodeResult(r, false))).isEqualTo(r);
    }
  }

  @Test
  void aRunOfStoredRecordsCostsTwoBytesEach() {
    List<RecordResult> stored = new ArrayList<>();
    for (long s = 1; s <= 5000; s++) {
      stored.add(RecordResult.stored(s));
    }
    byte[] binary = WireCodec.encodeResult(new BatchResult(stored, 1L), true);
    assertThat(binary.length).isLessThanOrEqualTo(4 + 1 + 2 + 5000 * 2);
  }

  @Test
  void jsonIsStillReadWhenTheServerAnswersJson() {
    BatchResult r = randomResult(new Random(5), 30);
    byte[] json = WireCodec.encodeResult(r);
    assertThat(WireCodec.decodeResult("application/json; charset=utf-8", json)).isEqualTo(r);
    assertThat(WireCodec.decodeResult(null, json)).isEqualTo(r);
    assertThat(WireCodec.acceptsBinary(null)).isFalse();
    assertThat(WireCodec.acceptsBinary("*/*")).isFalse();
    assertThat(WireCodec.acceptsBinary(WireCodec.BINARY + ", application/json;q=0.5")).isTrue();
  }

  @Test
  void liesAndTruncationsAreRefusedCleanly() {
    assertThatThrownBy(() -> WireCodec.decodeResult(WireCodec.BINARY, "{\"results\":[]}".getBytes()))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("OPR1");
    // magic, serverTime 1, count 2^35: must be refused before allocating
    byte[] huge = {'O', 'P', 'R', '1', 1, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01};
    assertThatThrownBy(() -> WireCodec.decodeResult(WireCodec.BINARY, huge)).hasMessageContaining("claims");
    byte[] good = WireCodec.encodeResult(randomResult(new Random(3), 10), true);
    assertThatThrownBy(() -> WireCodec.decodeResult(WireCodec.BINARY, Arrays.copyOf(good, good.length + 1)))
        .hasMessageContaining("trailing");
  }

  @Test
  void mutatedBinaryResultsFailCleanlyNeverWithAnUnexpectedException() {
    Random rnd = new Random(4321);
    byte[] good = WireCodec.encodeResult(randomResult(rnd, 40), true);
    for (int i = 0; i < 5000; i++) {
      byte[] bad = Mutations.mutate(rnd, good);
      try {
        WireCodec.decodeResult(WireCodec.BINARY, bad);
      } catch (WireFormatException expected) {
        // a clean refusal is fine; anything else (AIOOBE, OOM, NPE) fails the test
      }
    }
  }
}
