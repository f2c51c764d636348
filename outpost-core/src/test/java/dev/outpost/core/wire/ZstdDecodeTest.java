package dev.outpost.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The one-shot path for frames that declare their size, and the streamed path for the rest. */
class ZstdDecodeTest {
  private static byte[] text(int n) {
    byte[] b = new byte[n];
    Random rnd = new Random(n);
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ('a' + rnd.nextInt(6));
    }
    return b;
  }

  private static byte[] streamed(byte[] raw) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZstdOutputStream z = new ZstdOutputStream(out)) {
      z.write(raw); // no pledged size: the frame does not declare how big it inflates
    }
    return out.toByteArray();
  }

  @Test
  void framesWithADeclaredSizeInflateInOneShot() {
    byte[] raw = text(100_000);
    byte[] z = ContentEncoding.ZSTD.encode(raw);
    assertThat(Zstd.getFrameContentSize(z)).isEqualTo(raw.length);
    assertThat(ContentEncoding.ZSTD.decode(z, raw.length)).isEqualTo(raw);
    assertThat(ContentEncoding.ZSTD.decode(ContentEncoding.ZSTD.encode(new byte[0]), 10)).isEmpty();
  }

  @Test
  void aDeclaredSizeOverTheLimitIsRefusedBeforeInflating() {
    byte[] z = ContentEncoding.ZSTD.encode(new byte[10 << 20]);
    assertThatThrownBy(() -> ContentEncoding.ZSTD.decode(z, 1 << 20))
        .isInstanceOf(BodyTooLargeException.class)
        .hasMessageContaining("declares");
  }

  @Test
  void framesWithoutADeclaredSizeAndSeveralFramesAreStreamedWithTheBound() throws IOException {
    byte[] raw = text(50_000);
    byte[] unknown = streamed(raw);
    assertThat(ContentEncoding.ZSTD.decode(unknown, raw.length)).isEqualTo(raw);
    assertThatThrownBy(() -> ContentEncoding.ZSTD.decode(streamed(new byte[10 << 20]), 1 << 20))
        .isInstanceOf(BodyTooLargeException.class)
        .hasMessageContaining("limit");
    byte[] one = ContentEncoding.ZSTD.encode(raw);
    byte[] two = Arrays.copyOf(one, one.length * 2);
    System.arraycopy(one, 0, two, one.length, one.length);
    assertThat(ContentEncoding.ZSTD.decode(two, raw.length * 2)).hasSize(raw.length * 2);
    assertThatThrownBy(() -> ContentEncoding.ZSTD.decode(two, raw.length + 1))
        .isInstanceOf(BodyTooLargeException.class);
  }

  @Test
  void mutatedFramesFailCleanly() {
    Random rnd = new Random(77);
    byte[] good = ContentEncoding.ZSTD.encode(text(20_000));
    for (int i = 0; i < 2000; i++) {
      byte[] bad = Mutations.mutate(rnd, good);
      try {
        byte[] out = ContentEncoding.ZSTD.decode(bad, 1 << 20);
        assertThat(out.length).isLessThanOrEqualTo(1 << 20);
      } catch (WireFormatException expected) {
        // clean refusal (BodyTooLargeException is one too)
      }
    }
  }
}
