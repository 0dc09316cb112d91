package org.vmqsc.evaluation.report;

import java.util.List;
import org.vmqsc.evaluation.Metrics;

/** results.csv: one row per protocol and workload, one column per metric, in a fixed order. */
public final class CsvReport {
  private CsvReport() {}

  public static String render(List<Metrics> rows) {
    // The run's parameters follow the metrics, so that every figure carries what produced it.
    List<String> parameters = rows.isEmpty() ? List.of() : List.copyOf(rows.get(0).parameters().keySet());
    StringBuilder b = new StringBuilder("workload,protocol");
    for (String m : Metrics.DESCRIPTIONS.keySet()) b.append(',').append(m);
    for (String p : parameters) b.append(',').append(p);
    b.append('\n');
    for (Metrics r : rows) {
      b.append(quote(r.workload())).append(',').append(quote(r.protocol()));
      for (String m : Metrics.DESCRIPTIONS.keySet()) b.append(',').append(Numbers.format(r.get(m)));
      for (String p : parameters) b.append(',').append(quote(r.parameters().getOrDefault(p, "")));
      b.append('\n');
    }
    return b.toString();
  }

  private static String quote(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }
}
