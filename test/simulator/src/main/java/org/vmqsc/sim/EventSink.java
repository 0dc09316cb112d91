package org.vmqsc.sim;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Where a run's events go: nowhere, a JSON Lines file, and always a short ring buffer for violation traces. */
public final class EventSink {
  private static final int TRACE_LENGTH = 60;
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

  private final Writer jsonLines;
  private final ArrayDeque<SimEvent> recent = new ArrayDeque<>();

  public EventSink(Writer jsonLines) {
    this.jsonLines = jsonLines;
  }

  public static EventSink none() {
    return new EventSink(null);
  }

  void emit(SimEvent e) {
    if (recent.size() == TRACE_LENGTH) recent.removeFirst();
    recent.addLast(e);
    if (jsonLines != null) {
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("t", Math.round(e.time() * 1000) / 1000.0);
      line.put("event", e.type());
      line.putAll(e.fields());
      try {
        jsonLines.write(GSON.toJson(line));
        jsonLines.write('\n');
      } catch (IOException ex) {
        throw new UncheckedIOException("cannot write the event file", ex);
      }
    }
  }

  /** The last events, oldest first: what led to a violation. */
  List<SimEvent> recent() {
    return new ArrayList<>(recent);
  }
}
