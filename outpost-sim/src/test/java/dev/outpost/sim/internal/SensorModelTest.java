package dev.outpost.sim.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.Priority;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SensorModelTest {
  @Test
  void alertsFireOnUpwardCrossingsOnlyAndReArmBelowTheThreshold() {
    SensorModel model = new SensorModel(new SplittableRandom(42));
    List<SensorModel.Step> steps = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      steps.add(model.next());
    }
    assertThat(steps).anyMatch(s -> s.alert() == Priority.HIGH).anyMatch(s -> s.alert() == Priority.CRITICAL);
    assertThat(steps).allMatch(s -> s.humidityPct() >= 5 && s.humidityPct() <= 99);
    boolean armed = true;
    for (SensorModel.Step s : steps) {
      if (s.alert() == Priority.HIGH) {
        assertThat(armed).as("a HIGH alert only after re-arming").isTrue();
        assertThat(s.temperatureC()).isGreaterThanOrEqualTo(SensorModel.ALERT_C - 0.01);
        armed = false;
      } else if (s.alert() == Priority.CRITICAL) {
        assertThat(s.temperatureC()).isGreaterThanOrEqualTo(SensorModel.CRITICAL_C - 0.01);
        armed = false;
      }
      if (s.temperatureC() < SensorModel.ALERT_C - SensorModel.HYSTERESIS_C) {
        armed = true;
      }
    }
  }

  @Test
  void theSameSeedGivesTheSameReadings() {
    SensorModel a = new SensorModel(new SplittableRandom(7));
    SensorModel b = new SensorModel(new SplittableRandom(7));
    for (int i = 0; i < 1000; i++) {
      assertThat(a.next()).isEqualTo(b.next());
    }
  }
}
