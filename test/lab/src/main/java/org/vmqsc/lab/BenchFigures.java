package org.vmqsc.lab;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Small helpers the benchmarks share: percentiles and text bar charts. */
final class BenchFigures {

  private BenchFigures() {}

  /** Nearest-rank percentile of {@code values} (p in 0..100). */
  static double percentile(List<Double> values, double p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  static double median(List<Double> values) {
    return percentile(values, 50);
  }

  /** One line of a horizontal bar chart: label, bar scaled to {@code max}, value. */
  static String bar(String label, double value, double max, String valueText) {
    int width = 40;
    int filled = max <= 0 ? 0 : (int) Math.round(width * Math.min(1.0, value / max));
    return String.format(Locale.ROOT, "  %-40s |%-40s| %s", label, "#".repeat(filled), valueText);
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }
}
