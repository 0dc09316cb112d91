package org.vmqsc.sim.events;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.PriorityQueue;

/**
 * One event file's events in time order, as far as a window reaches: an event is held until the file has shown an
 * event {@code window} later, so lines written up to {@code window} out of time order come out sorted (equal
 * times in line order). An event more than {@code window} older than the newest one read is not a late write but
 * a clock that stepped back: it keeps its place in the file (its sort key is the newest time read). The keys this
 * hands out never decrease.
 */
final class InTimeOrder {

  /** An event and the time it sorts by. */
  record Timed(double key, long line, JsonObject event) implements Comparable<Timed> {
    @Override public int compareTo(Timed o) {
      int c = Double.compare(key, o.key);
      return c != 0 ? c : Long.compare(line, o.line);
    }
  }

  /** One second in the file's time unit (from its header; seconds when it names none). */
  static double window(JsonObject header) {
    String unit = header != null && header.has("time_unit") ? header.get("time_unit").getAsString() : "s";
    return switch (unit) {
      case "ms" -> 1e3;
      case "us" -> 1e6;
      default -> 1.0;
    };
  }

  private final EventFile file;
  private final double window;
  private final PriorityQueue<Timed> held = new PriorityQueue<>();
  private double newest = Double.NEGATIVE_INFINITY;
  private long line;
  private boolean ended;

  InTimeOrder(EventFile file, double window) {
    this.file = file;
    this.window = window;
  }

  /** The next event in time order, or null at the end of the file. */
  Timed next() throws IOException {
    while (!ended && (held.isEmpty() || held.peek().key() > newest - window)) {
      JsonObject e = file.next();
      if (e == null) {
        ended = true;
        break;
      }
      double t = e.get("t").getAsDouble();
      double key = t >= newest - window ? t : newest;
      newest = Math.max(newest, t);
      held.add(new Timed(key, line++, e));
    }
    return held.poll();
  }
}
