package dev.outpost.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ValueTypeTest {
  private final ValueType<Long> size = ValueType.size(1, Long.MAX_VALUE);
  private final ValueType<Duration> duration = ValueType.duration(Duration.ZERO, Duration.ofDays(9999));

  @Test
  void sizesTakeBinaryAndDecimalUnits() {
    assertThat(size.parse("500MiB")).isEqualTo(500L << 20);
    assertThat(size.parse("500 mib")).isEqualTo(500L << 20);
    assertThat(size.parse("2GB")).isEqualTo(2_000_000_000L);
    assertThat(size.parse("1KiB")).isEqualTo(1024L);
    assertThat(size.parse("1kb")).isEqualTo(1000L);
    assertThat(size.parse("42")).isEqualTo(42L);
    assertThat(size.parse(" 7B ")).isEqualTo(7L);
    assertThatThrownBy(() -> size.parse("1.5GiB")).hasMessage("'1.5GiB' is not a size");
    assertThatThrownBy(() -> size.parse("-1")).hasMessage("'-1' is not a size");
    assertThatThrownBy(() -> size.parse("99999999999999GiB")).hasMessageContaining("too large");
    assertThatThrownBy(() -> ValueType.size(1024, 2048).parse("4KiB")).hasMessageContaining("out of range");
  }

  @Test
  void durationsTakeUnitsOrIso8601() {
    assertThat(duration.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(duration.parse("2ms")).isEqualTo(Duration.ofMillis(2));
    assertThat(duration.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(duration.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(duration.parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(duration.parse("PT1M30S")).isEqualTo(Duration.ofSeconds(90));
    assertThatThrownBy(() -> duration.parse("30")).hasMessage("'30' is not a duration");
    assertThatThrownBy(() -> duration.parse("1w")).hasMessage("'1w' is not a duration");
    assertThat(ValueType.durationOrNone(Duration.ofSeconds(1), Duration.ofDays(1)).parse("NONE"))
        .isEqualTo(Duration.ZERO);
  }

  @Test
  void formattingRoundTrips() {
    for (String s : new String[] {"500MiB", "1GiB", "64KiB", "1000B"}) {
      assertThat(ValueType.formatBytes(size.parse(s))).isEqualTo(s);
    }
    for (String s : new String[] {"2ms", "30s", "5m", "1h", "7d", "0s"}) {
      assertThat(ValueType.formatDuration(duration.parse(s))).isEqualTo(s);
    }
  }
}
