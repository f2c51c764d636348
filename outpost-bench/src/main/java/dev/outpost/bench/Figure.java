package dev.outpost.bench;

/**
 * One row of the bench table: a measured figure next to the baseline measured in the same run.
 *
 * @param group which benchmark (append, drain, ingest, agent)
 * @param name what was measured
 * @param value the measured value, in {@code unit}
 * @param baseline what it is compared with ({@code null} when nothing is)
 * @param baselineValue the baseline's value in the same unit (NaN when there is none)
 * @param target the goal as text ({@code null} when the issue sets none)
 * @param pass whether the target is met ({@code null} when there is no target)
 */
public record Figure(String group, String name, double value, String unit, String baseline,
    double baselineValue, String target, Boolean pass) {

  /** value / baseline value, NaN without a baseline. */
  public double ratio() {
    return baseline == null || baselineValue == 0 ? Double.NaN : value / baselineValue;
  }

  static Figure vs(String group, String name, double value, String unit, String baseline, double baselineValue) {
    return new Figure(group, name, value, unit, baseline, baselineValue, null, null);
  }

  /** With a target on the ratio: at least {@code min} times the baseline. */
  static Figure atLeast(String group, String name, double value, String unit, String baseline,
      double baselineValue, double min) {
    Figure f = vs(group, name, value, unit, baseline, baselineValue);
    return new Figure(group, name, value, unit, baseline, baselineValue,
        String.format(java.util.Locale.ROOT, "ratio > %.1f", min), f.ratio() > min);
  }

  /** With a target on the ratio: at most {@code max} times the baseline. */
  static Figure atMost(String group, String name, double value, String unit, String baseline,
      double baselineValue, double max) {
    Figure f = vs(group, name, value, unit, baseline, baselineValue);
    return new Figure(group, name, value, unit, baseline, baselineValue,
        String.format(java.util.Locale.ROOT, "ratio < %.2f", max), f.ratio() < max);
  }

  /** With an absolute floor on the value. */
  static Figure atLeastAbsolute(String group, String name, double value, String unit, String baseline,
      double baselineValue, double floor) {
    return new Figure(group, name, value, unit, baseline, baselineValue,
        String.format(java.util.Locale.ROOT, ">= %.0f %s", floor, unit), value >= floor);
  }

  /** With an absolute ceiling on the value. */
  static Figure under(String group, String name, double value, String unit, String baseline,
      double baselineValue, double limit) {
    return new Figure(group, name, value, unit, baseline, baselineValue,
        String.format(java.util.Locale.ROOT, "< %.0f %s", limit, unit), value < limit);
  }
}
