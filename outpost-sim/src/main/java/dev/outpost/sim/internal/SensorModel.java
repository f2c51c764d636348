package dev.outpost.sim.internal;

import dev.outpost.core.Priority;
import java.util.random.RandomGenerator;

/**
 * The simulated sensors of one device: temperature and humidity as mean-reverting random walks.
 * Now and then the temperature's setpoint jumps (a door opens, a fan fails), so the reading
 * drifts towards it over a few seconds; when it crosses {@link #ALERT_C} upwards the step says
 * HIGH, and CRITICAL when it crosses {@link #CRITICAL_C}. An alert re-arms once the reading is
 * {@link #HYSTERESIS_C} below its threshold again, so noise near a threshold does not flap.
 *
 * <p>Pure and deterministic for a given random source. Not thread-safe: one device's producer
 * drives it.
 */
public final class SensorModel {
  public static final double ALERT_C = 30.0;
  public static final double CRITICAL_C = 35.0;
  public static final double HYSTERESIS_C = 1.0;

  private static final double SETPOINT_JUMP_CHANCE = 0.05;
  private static final double PULL = 0.12;

  /**
   * One step's readings.
   *
   * @param alert HIGH or CRITICAL when the temperature crossed a threshold in this step, else null
   */
  public record Step(double temperatureC, double humidityPct, Priority alert) {}

  private final RandomGenerator random;
  private double temperature;
  private double setpoint;
  private double humidity;
  private boolean highArmed = true;
  private boolean criticalArmed = true;

  public SensorModel(RandomGenerator random) {
    this.random = random;
    this.setpoint = 20 + random.nextDouble() * 5;
    this.temperature = setpoint + random.nextGaussian() * 0.5;
    this.humidity = 40 + random.nextDouble() * 20;
  }

  /** Advances both walks by one reading. */
  public Step next() {
    if (random.nextDouble() < SETPOINT_JUMP_CHANCE) {
      // mostly comfortable, sometimes hot: about 40 % of jumps land above the alert threshold
      setpoint = 18 + random.nextDouble() * 20;
    }
    temperature += PULL * (setpoint - temperature) + random.nextGaussian() * 0.3;
    humidity += 0.05 * (50 - humidity) - 0.2 * (temperature - 22) * 0.1 + random.nextGaussian() * 0.8;
    humidity = Math.max(5, Math.min(99, humidity));
    return new Step(round(temperature), round(humidity), alert());
  }

  private Priority alert() {
    Priority alert = null;
    if (criticalArmed && temperature >= CRITICAL_C) {
      criticalArmed = false;
      highArmed = false;
      alert = Priority.CRITICAL;
    } else if (highArmed && temperature >= ALERT_C) {
      highArmed = false;
      alert = Priority.HIGH;
    }
    if (temperature < CRITICAL_C - HYSTERESIS_C) {
      criticalArmed = true;
    }
    if (temperature < ALERT_C - HYSTERESIS_C) {
      highArmed = true;
    }
    return alert;
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
