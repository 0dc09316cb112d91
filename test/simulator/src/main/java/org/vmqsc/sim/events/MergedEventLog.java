package org.vmqsc.sim.events;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Merges the event files of several processes into one log ordered by {@code t}. Equal times keep file order,
 * then line order. Within a file, events are put in time order over a short window ({@link InTimeOrder}): a
 * process writes from several threads, and stamps some events with the instant they happened rather than the
 * instant they were written (a send is stamped before its frame leaves, and written after), so its lines may be
 * out of time order by a little; beyond the window a file's own order is kept (a clock that stepped back
 * reorders nothing within a process). The merged log starts with a header naming what it merged ({@code merged_from}, one entry per file,
 * in file order) and tags every event with {@code src}, its file's position in that list, so a checker can tell
 * which process wrote it. Truncated last lines are skipped and counted in the header.
 */
public final class MergedEventLog {
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
  /** Header fields that describe one process, not the run: kept per file in merged_from. */
  private static final Set<String> PER_PROCESS = Set.of("t", "event", "process", "pid", "host", "time_unit");

  private MergedEventLog() {}

  /** What a merge read: the merged header, and how many events and truncated lines it saw. */
  public record Summary(JsonObject header, long events, int truncatedLines) {}

  /** Merges {@code files} and hands {@code out} the merged header, then every event in merged order. */
  public static Summary merge(List<Path> files, Consumer<JsonObject> out) throws IOException {
    if (files.isEmpty()) throw new IllegalArgumentException("no event file to merge");
    List<EventFile> open = new ArrayList<>();
    try {
      for (Path f : files) open.add(EventFile.open(f));
      JsonObject header = header(open);
      out.accept(header);
      long events = 0;
      List<InTimeOrder> sorted = new ArrayList<>();
      for (EventFile f : open) sorted.add(new InTimeOrder(f, InTimeOrder.window(f.header())));
      PriorityQueue<Head> heads = new PriorityQueue<>();
      for (int i = 0; i < sorted.size(); i++) advance(sorted.get(i), i, heads);
      while (!heads.isEmpty()) {
        Head h = heads.poll();
        h.event().addProperty("src", h.file());
        out.accept(h.event());
        events++;
        advance(sorted.get(h.file()), h.file(), heads);
      }
      return new Summary(header, events, header.get("truncated_lines").getAsInt());
    } finally {
      for (EventFile f : open) f.close();
    }
  }

  /** Merges {@code files} into {@code out} as JSON Lines. */
  public static Summary write(List<Path> files, Writer out) throws IOException {
    try {
      return merge(files, e -> {
        try {
          out.write(GSON.toJson(e));
          out.write('\n');
        } catch (IOException ex) {
          throw new UncheckedIOException(ex);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private record Head(double t, int file, JsonObject event) implements Comparable<Head> {
    @Override public int compareTo(Head o) {
      int c = Double.compare(t, o.t);
      return c != 0 ? c : Integer.compare(file, o.file);
    }
  }

  private static void advance(InTimeOrder f, int index, PriorityQueue<Head> heads) throws IOException {
    InTimeOrder.Timed e = f.next();
    if (e != null) heads.add(new Head(e.key(), index, e.event()));
  }

  private static JsonObject header(List<EventFile> files) {
    JsonObject h = new JsonObject();
    h.addProperty("t", 0.0);
    h.addProperty("event", "header");
    JsonArray from = new JsonArray();
    int truncated = 0;
    String unit = null;
    JsonObject shared = new JsonObject();
    for (EventFile f : files) {
      JsonObject own = f.header();
      JsonObject entry = new JsonObject();
      entry.addProperty("file", f.path().toString());
      for (String field : List.of("process", "pid", "host")) {
        if (own != null && own.has(field)) entry.add(field, own.get(field));
      }
      entry.addProperty("truncated_lines", f.truncatedLines());
      from.add(entry);
      truncated += f.truncatedLines();
      if (own == null) continue;
      String u = own.has("time_unit") ? own.get("time_unit").getAsString() : "s";
      if (unit != null && !unit.equals(u)) {
        throw new IllegalArgumentException(f.path() + ": its times are in " + u + ", an earlier file's in " + unit
            + ": files in different time units cannot be merged");
      }
      unit = u;
      for (Map.Entry<String, JsonElement> e : own.entrySet()) {
        if (!PER_PROCESS.contains(e.getKey()) && !shared.has(e.getKey())) shared.add(e.getKey(), e.getValue());
      }
    }
    h.add("merged_from", from);
    h.addProperty("truncated_lines", truncated);
    h.addProperty("time_unit", unit == null ? "s" : unit);
    for (Map.Entry<String, JsonElement> e : shared.entrySet()) {
      if (!h.has(e.getKey())) h.add(e.getKey(), e.getValue());
    }
    return h;
  }
}
