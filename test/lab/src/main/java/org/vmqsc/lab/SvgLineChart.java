package org.vmqsc.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A small step-line chart written as SVG: a few series over time, plus labelled vertical markers. */
final class SvgLineChart {
  private record Series(String name, String color, List<double[]> points) {}
  private record Marker(double x, String label, String color) {}

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final List<Series> series = new ArrayList<>();
  private final List<Marker> markers = new ArrayList<>();

  SvgLineChart(String title, String xLabel, String yLabel) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  SvgLineChart series(String name, String color, List<double[]> points) {
    series.add(new Series(name, color, points));
    return this;
  }

  SvgLineChart marker(double x, String label, String color) {
    markers.add(new Marker(x, label, color));
    return this;
  }

  String render() {
    int w = 900, h = 420, left = 60, right = 20, top = 40, bottom = 50;
    double maxX = 1, maxY = 1;
    for (Series s : series) for (double[] p : s.points) { maxX = Math.max(maxX, p[0]); maxY = Math.max(maxY, p[1]); }
    for (Marker m : markers) maxX = Math.max(maxX, m.x);
    double sx = (w - left - right) / maxX, sy = (h - top - bottom) / maxY;
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='12'>%n", w, h));
    b.append("<rect width='100%' height='100%' fill='white'/>\n");
    b.append(String.format(Locale.ROOT, "<text x='%d' y='22' font-size='15' font-weight='bold'>%s</text>%n", left, esc(title)));
    b.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", left, h - bottom, w - right, h - bottom));
    b.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", left, top, left, h - bottom));
    for (int i = 0; i <= 5; i++) {
      double vx = maxX * i / 5, vy = maxY * i / 5;
      b.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' text-anchor='middle'>%.0f</text>%n", left + vx * sx, h - bottom + 16, vx));
      b.append(String.format(Locale.ROOT, "<text x='%d' y='%.1f' text-anchor='end'>%.0f</text>%n", left - 6, h - bottom - vy * sy + 4, vy));
    }
    b.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>%s</text>%n", (w + left) / 2, h - 12, esc(xLabel)));
    b.append(String.format(Locale.ROOT, "<text transform='translate(16,%d) rotate(-90)' text-anchor='middle'>%s</text>%n", (h + top) / 2, esc(yLabel)));
    for (Marker m : markers) {
      double x = left + m.x * sx;
      b.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='%s' stroke-dasharray='4 3'/>%n", x, top, x, h - bottom, m.color));
      b.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' fill='%s' font-size='10' transform='rotate(-30 %.1f %d)'>%s</text>%n", x + 2, top + 10, m.color, x + 2, top + 10, esc(m.label)));
    }
    int legendY = top + 4;
    for (Series s : series) {
      StringBuilder path = new StringBuilder();
      double lastY = Double.NaN;
      for (double[] p : s.points) {
        double x = left + p[0] * sx, y = h - bottom - p[1] * sy;
        if (path.length() == 0) path.append(String.format(Locale.ROOT, "M%.1f,%.1f", x, y));
        else path.append(String.format(Locale.ROOT, " H%.1f V%.1f", x, y));
        lastY = y;
      }
      if (!Double.isNaN(lastY)) path.append(String.format(Locale.ROOT, " H%d", w - right));
      b.append(String.format(Locale.ROOT, "<path d='%s' fill='none' stroke='%s' stroke-width='2'/>%n", path, s.color));
      b.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='12' height='3' fill='%s'/><text x='%d' y='%d'>%s</text>%n",
          w - right - 220, legendY + 14, s.color, w - right - 202, legendY + 18, esc(s.name)));
      legendY += 16;
    }
    return b.append("</svg>\n").toString();
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;");
  }
}
