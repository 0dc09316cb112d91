package org.vmqsc.lab;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A space-time diagram of a stretch of a run, drawn from its event file as SVG: one lane per VM, messages as
 * lines from send to delivery, checkpoints as ticks (forced ones red), log segments as grey marks, failures,
 * rollbacks and the recovery line. The paper draws its Fig. 2 and 3 this way; this one is measured.
 */
public final class SpaceTimeDiagram {
  private static final int LEFT = 70, TOP = 50, LANE = 34, WIDTH = 1100;

  private final int vms;
  private final double from;
  private final double to;

  public SpaceTimeDiagram(int vms, double fromMs, double toMs) {
    this.vms = vms;
    this.from = fromMs;
    this.to = toMs;
  }

  public String render(String jsonLines, String title) {
    int height = TOP + LANE * vms + 60;
    StringBuilder b = new StringBuilder();
    b.append(f("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='11'>%n", WIDTH + 40, height));
    b.append("<rect width='100%' height='100%' fill='white'/>\n");
    b.append(f("<text x='%d' y='22' font-size='15' font-weight='bold'>%s</text>%n", LEFT, esc(title)));
    b.append(f("<text x='%d' y='38' fill='#555'>ticks: checkpoints (red: forced), grey: MI log segments written to stable storage, lines: messages, blue band: recovery line moves</text>%n", LEFT));
    for (int vm = 0; vm < vms; vm++) {
      b.append(f("<text x='%d' y='%.1f' text-anchor='end'>VM %d</text>%n", LEFT - 8, lane(vm) + 4, vm));
      b.append(f("<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#bbb'/>%n", LEFT, lane(vm), WIDTH, lane(vm)));
    }
    for (int s = (int) Math.ceil(from / 1000); s <= to / 1000; s++) {
      b.append(f("<text x='%.1f' y='%d' text-anchor='middle' fill='#555'>%d s</text>%n", x(s * 1000.0), height - 30, s));
    }
    Map<String, double[]> sends = new HashMap<>();
    for (String l : jsonLines.split("\n")) {
      JsonObject o = JsonParser.parseString(l).getAsJsonObject();
      double t = o.get("t").getAsDouble();
      String type = o.get("event").getAsString();
      if (type.equals("send")) sends.put(o.get("id").getAsString(), new double[] {t, o.get("from").getAsInt()});
      if (t < from || t > to) continue;
      switch (type) {
        case "deliver", "replay" -> {
          double[] s = sends.get(o.get("id").getAsString());
          if (s == null || s[0] < from) break;
          b.append(f("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' stroke-width='0.8'/>%n", x(s[0]),
              lane((int) s[1]), x(t), lane(o.get("to").getAsInt()), type.equals("replay") ? "#7d3c98" : "#5d6d7e"));
        }
        case "checkpoint" -> b.append(f("<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' stroke-width='2.5'/>%n",
            x(t), lane(o.get("vm").getAsInt()) - 9, x(t), lane(o.get("vm").getAsInt()) + 9,
            o.get("forced").getAsBoolean() ? "#c0392b" : "#1b2631"));
        case "stable" -> {
          if (o.get("kind").getAsString().equals("log_segment")) {
            b.append(f("<rect x='%.1f' y='%.1f' width='3' height='6' fill='#aab7b8'/>%n", x(t) - 1.5, lane(o.get("vm").getAsInt()) + 10));
          }
        }
        case "line" -> b.append(f("<rect x='%.1f' y='%d' width='2' height='%d' fill='#2471a3' opacity='0.5'/>"
            + "<text x='%.1f' y='%d' fill='#2471a3' font-size='10'>line %d</text>%n", x(t), TOP - 8, LANE * vms, x(t) + 3,
            TOP + LANE * vms + 4, o.get("index").getAsLong()));
        case "host_failure" -> b.append(f("<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#c0392b' stroke-width='2' stroke-dasharray='5 3'/>"
            + "<text x='%.1f' y='%d' fill='#c0392b' font-weight='bold'>host %s fails</text>%n", x(t), TOP - 8, x(t),
            TOP + LANE * vms, x(t) + 3, TOP + LANE * vms + 16,
            esc(o.has("name") ? o.get("name").getAsString() : o.get("host").getAsString())));
        case "vm_failure" -> b.append(f("<text x='%.1f' y='%.1f' fill='#e67e22' font-size='16' font-weight='bold' text-anchor='middle'>x</text>%n",
            x(t), lane(o.get("vm").getAsInt()) + 5));
        case "restore" -> b.append(f("<circle cx='%.1f' cy='%.1f' r='5' fill='none' stroke='#7d3c98' stroke-width='2'/>%n",
            x(t), lane(o.get("vm").getAsInt())));
        default -> { }
      }
    }
    return b.append("</svg>\n").toString();
  }

  private double x(double t) {
    return LEFT + (t - from) / (to - from) * (WIDTH - LEFT);
  }

  private double lane(int vm) {
    return TOP + LANE * (vm + 0.5);
  }

  private static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
