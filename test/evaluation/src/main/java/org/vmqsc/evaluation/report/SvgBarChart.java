package org.vmqsc.evaluation.report;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.vmqsc.evaluation.Metrics;

/**
 * A grouped bar chart of one metric as standalone SVG: one group per workload, one bar per protocol, same colour for
 * a protocol everywhere. Small enough to write by hand; a charting library would add a large dependency for bars.
 */
public final class SvgBarChart {
  private static final String[] COLOURS = {"#1b9e77", "#7570b3", "#d95f02", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"};
  private static final int WIDTH = 760, HEIGHT = 340, LEFT = 70, RIGHT = 170, TOP = 40, BOTTOM = 60;

  private SvgBarChart() {}

  public static String render(String metric, String description, List<Metrics> rows) {
    Map<String, List<Metrics>> groups = MarkdownReport.byWorkload(rows);
    List<String> protocols = new ArrayList<>(new LinkedHashSet<>(rows.stream().map(Metrics::protocol).toList()));
    double max = 0;
    for (Metrics r : rows) max = Math.max(max, r.get(metric));
    double top = niceCeiling(max);
    int plotW = WIDTH - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;
    StringBuilder b = new StringBuilder();
    b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
        .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT).append("\" font-family=\"sans-serif\" font-size=\"11\">\n");
    b.append("<title>").append(escape(metric + ": " + description)).append("</title>\n");
    b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    b.append(text(LEFT, 20, escape(metric), "start", 14, "bold"));
    b.append(text(LEFT, 34, escape(description), "start", 10, "normal"));
    for (int i = 0; i <= 4; i++) {
      double v = top * i / 4;
      double y = TOP + plotH - plotH * i / 4.0;
      b.append(String.format(java.util.Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", LEFT, y, LEFT + plotW, y));
      b.append(text(LEFT - 6, y + 4, Numbers.readable(v), "end", 10, "normal"));
    }
    int g = groups.size();
    double groupW = plotW / (double) Math.max(1, g);
    double barW = groupW * 0.8 / Math.max(1, protocols.size());
    int gi = 0;
    for (Map.Entry<String, List<Metrics>> e : groups.entrySet()) {
      double gx = LEFT + gi * groupW + groupW * 0.1;
      for (Metrics r : e.getValue()) {
        int p = protocols.indexOf(r.protocol());
        double v = r.get(metric);
        double h = top == 0 ? 0 : plotH * v / top;
        double x = gx + p * barW;
        b.append(String.format(java.util.Locale.ROOT,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s</title></rect>%n",
            x, TOP + plotH - h, barW * 0.9, h, COLOURS[p % COLOURS.length],
            escape(r.protocol() + " on " + e.getKey() + ": " + Numbers.format(v))));
        // The value above its bar, so a short bar next to a tall one can still be read.
        b.append(text(x + barW * 0.45, TOP + plotH - h - 3, Numbers.readable(v), "middle", 9, "normal"));
      }
      String label = e.getKey().length() > 28 ? e.getKey().substring(0, 27) + "…" : e.getKey();
      b.append(text(gx + groupW * 0.4, TOP + plotH + 16, escape(label), "middle", 10, "normal"));
      gi++;
    }
    b.append(String.format(java.util.Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n", LEFT, TOP + plotH, LEFT + plotW, TOP + plotH));
    for (int p = 0; p < protocols.size(); p++) {
      int y = TOP + 6 + p * 18;
      b.append(String.format(java.util.Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>%n", WIDTH - RIGHT + 14, y, COLOURS[p % COLOURS.length]));
      b.append(text(WIDTH - RIGHT + 32, y + 10, escape(protocols.get(p)), "start", 11, "normal"));
    }
    b.append("</svg>\n");
    return b.toString();
  }

  private static String text(double x, double y, String s, String anchor, int size, String weight) {
    return String.format(java.util.Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" font-weight=\"%s\">%s</text>%n",
        x, y, anchor, size, weight, s);
  }

  /** 1, 2 or 5 times a power of ten, at or above v. */
  static double niceCeiling(double v) {
    if (v <= 0) return 1;
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 5, 10}) if (m * p >= v) return m * p;
    return 10 * p;
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
