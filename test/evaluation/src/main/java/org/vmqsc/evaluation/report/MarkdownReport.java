package org.vmqsc.evaluation.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vmqsc.evaluation.Metrics;

/** results.md: per workload, a table with one row per metric and one column per protocol. */
public final class MarkdownReport {
  private MarkdownReport() {}

  public static Map<String, List<Metrics>> byWorkload(List<Metrics> rows) {
    Map<String, List<Metrics>> out = new LinkedHashMap<>();
    for (Metrics r : rows) out.computeIfAbsent(r.workload(), k -> new ArrayList<>()).add(r);
    return out;
  }

  public static String table(List<Metrics> rows) {
    StringBuilder b = new StringBuilder("| metric |");
    for (Metrics r : rows) b.append(' ').append(r.protocol()).append(" |");
    b.append("\n|---|");
    for (int i = 0; i < rows.size(); i++) b.append("---:|");
    b.append('\n');
    for (String m : Metrics.DESCRIPTIONS.keySet()) {
      if (m.equals("messages") || m.equals("bytes")) continue;
      b.append("| ").append(m).append(" |");
      for (Metrics r : rows) b.append(' ').append(Numbers.readable(r.get(m))).append(" |");
      b.append('\n');
    }
    return b.toString();
  }

  /** The run's parameters, one line, so the table says what produced it. */
  static String parameters(Metrics m) {
    if (m.parameters().isEmpty()) return "";
    StringBuilder b = new StringBuilder("Parameters: ");
    boolean first = true;
    for (Map.Entry<String, String> p : m.parameters().entrySet()) {
      b.append(first ? "" : ", ").append('`').append(p.getKey()).append("` ").append(p.getValue());
      first = false;
    }
    return b.append(".\n\n").toString();
  }

  public static String render(List<Metrics> rows, String preamble) {
    StringBuilder b = new StringBuilder("# Checkpointing protocols side by side\n\n");
    if (!preamble.isEmpty()) b.append(preamble).append("\n\n");
    for (Map.Entry<String, List<Metrics>> e : byWorkload(rows).entrySet()) {
      Metrics first = e.getValue().get(0);
      b.append("## ").append(e.getKey()).append("\n\n")
          .append(Numbers.readable(first.get("messages"))).append(" messages, ")
          .append(Numbers.readable(first.get("bytes") / 1e6)).append(" MB.\n\n")
          .append(table(e.getValue())).append('\n')
          .append(parameters(first));
      List<String> warnings = org.vmqsc.evaluation.RunWarnings.of(e.getValue());
      if (!warnings.isEmpty()) {
        b.append("**Warnings**:\n\n");
        for (String w : warnings) b.append("- ").append(w).append('\n');
        b.append('\n');
      }
    }
    b.append("## Metrics\n\n");
    for (Map.Entry<String, String> d : Metrics.DESCRIPTIONS.entrySet()) {
      b.append("- `").append(d.getKey()).append("`: ").append(d.getValue()).append('\n');
    }
    return b.toString();
  }
}
