package org.vmqsc.evaluation.report;

import java.util.List;
import java.util.Map;
import org.vmqsc.evaluation.Metrics;

/** report.html: the tables and every chart in one self-contained page (charts inlined as SVG). */
public final class HtmlReport {
  private HtmlReport() {}

  public static String render(List<Metrics> rows, Map<String, String> chartsByMetric, String preambleHtml) {
    StringBuilder b = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>vmqsc evaluation</title>\n")
        .append("<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}")
        .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child{text-align:left}")
        .append("figure{display:inline-block;margin:1em 0}</style></head><body>\n")
        .append("<h1>Checkpointing protocols side by side</h1>\n").append(preambleHtml).append('\n');
    for (Map.Entry<String, List<Metrics>> e : MarkdownReport.byWorkload(rows).entrySet()) {
      b.append("<h2>").append(SvgBarChart.escape(e.getKey())).append("</h2>\n<table><tr><th>metric</th>");
      for (Metrics r : e.getValue()) b.append("<th>").append(SvgBarChart.escape(r.protocol())).append("</th>");
      b.append("</tr>\n");
      for (Map.Entry<String, String> d : Metrics.DESCRIPTIONS.entrySet()) {
        b.append("<tr><td title=\"").append(SvgBarChart.escape(d.getValue())).append("\">").append(d.getKey()).append("</td>");
        for (Metrics r : e.getValue()) b.append("<td>").append(Numbers.readable(r.get(d.getKey()))).append("</td>");
        b.append("</tr>\n");
      }
      b.append("</table>\n");
    }
    b.append("<h2>Charts</h2>\n");
    for (Map.Entry<String, String> c : chartsByMetric.entrySet()) b.append("<figure>").append(c.getValue()).append("</figure>\n");
    return b.append("</body></html>\n").toString();
  }
}
