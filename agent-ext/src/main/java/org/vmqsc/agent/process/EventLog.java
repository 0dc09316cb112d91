package org.vmqsc.agent.process;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.BufferedWriter;
import java.math.BigDecimal;
import java.time.Instant;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A process's events as JSON Lines, in the format of {@code simulate --events} (the schema is in the simulator's
 * README): {@code t} (wall-clock seconds since the Unix epoch, to the microsecond, so the files of several
 * processes on one machine merge by time), {@code event}, then the fields. Each line is flushed as written: a process killed with SIGKILL loses at most the line it
 * was writing. Thread-safe; {@link #none()} writes nothing.
 */
public final class EventLog implements AutoCloseable {

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

  private final BufferedWriter out;
  private boolean closed;

  private EventLog(BufferedWriter out) {
    this.out = out;
  }

  public static EventLog none() {
    return new EventLog(null);
  }

  /** Appends to {@code file}; the first line of a new file is the process's header. */
  public static EventLog open(Path file, String process, Object... headerFields) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) Files.createDirectories(parent);
    EventLog log = new EventLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND));
    Object[] fields = new Object[headerFields.length + 6];
    fields[0] = "process";
    fields[1] = process;
    fields[2] = "pid";
    fields[3] = ProcessHandle.current().pid();
    fields[4] = "time_unit";
    fields[5] = "s";
    System.arraycopy(headerFields, 0, fields, 6, headerFields.length);
    log.emit("header", fields);
    return log;
  }

  /** One event now: key, value, key, value, ... */
  public void emit(String type, Object... keyValues) {
    emitAt(Instant.now(), type, keyValues);
  }

  /**
   * One event that happened at {@code t}: a process stamps an event before another process can see its effect
   * (a send before its frame leaves), so merging the files by time puts causes first.
   */
  public void emitAt(Instant t, String type, Object... keyValues) {
    if (out == null) return;
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("t", BigDecimal.valueOf(t.getEpochSecond() * 1_000_000L + t.getNano() / 1000, 6)); // seconds, in full
    line.put("event", type);
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      String key = (String) keyValues[i];
      if (key.equals("t") || key.equals("event")) throw new IllegalArgumentException("an event field named " + key);
      line.put(key, keyValues[i + 1]);
    }
    String json = GSON.toJson(line);
    synchronized (this) {
      if (closed) return; // a late event of a stopping process: nobody reads it any more
      try {
        out.write(json);
        out.write('\n');
        out.flush();
      } catch (IOException e) {
        // Events are for people and the oracle; a full disk must not stop the VMs.
        System.err.println("vmqsc: cannot write an event: " + e.getMessage());
      }
    }
  }

  @Override public synchronized void close() throws IOException {
    closed = true;
    if (out != null) out.close();
  }
}
