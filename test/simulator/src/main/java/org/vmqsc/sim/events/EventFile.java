package org.vmqsc.sim.events;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * One process's event file, read line by line: its header first, then its events in the order the process wrote
 * them. A last line without its newline that is not a whole JSON object is what a process killed mid-write leaves;
 * it is skipped and counted, not an error. Any other line that is not an event is bad input.
 */
public final class EventFile implements Closeable {
  private final Path path;
  private final BufferedReader in;
  private final boolean truncatedTail;
  private final JsonObject header;
  private int lineNumber;

  private EventFile(Path path) throws IOException {
    if (!Files.exists(path)) throw new NoSuchFileException(path.toString());
    if (Files.isDirectory(path)) throw new IllegalArgumentException(path + ": is a directory, not an event file");
    this.path = path;
    long whole = wholeLinesLength(path);
    this.truncatedTail = whole < Files.size(path);
    // Only the whole lines are decoded: a cut may have split a multi-byte character.
    InputStream bytes = Files.newInputStream(path);
    this.in = new BufferedReader(new InputStreamReader(truncatedTail ? limited(bytes, whole) : bytes,
        StandardCharsets.UTF_8.newDecoder()));
    try {
      JsonObject first = next();
      if (first != null && !"header".equals(first.get("event").getAsString())) {
        throw new IllegalArgumentException(path + ":1: the first line must be the header ({\"event\":\"header\",...})");
      }
      this.header = first;
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** Opens {@code path} and reads its header; a file with nothing but a truncated line has none. */
  public static EventFile open(Path path) throws IOException {
    return new EventFile(path);
  }

  public Path path() {
    return path;
  }

  /** The file's header line, or null when the process died before writing a whole one. */
  public JsonObject header() {
    return header;
  }

  /** 1 when the last line was cut short by the process's death (and is skipped), else 0. */
  public int truncatedLines() {
    return truncatedTail ? 1 : 0;
  }

  /** The line number of the event {@link #next()} returned last. */
  public int lineNumber() {
    return lineNumber;
  }

  /** The next event, or null at the end. */
  public JsonObject next() throws IOException {
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      lineNumber++;
      if (!line.isBlank()) return parse(line);
    }
    return null;
  }

  private JsonObject parse(String line) {
    JsonElement e;
    try {
      e = JsonParser.parseString(line);
    } catch (JsonParseException ex) {
      throw new IllegalArgumentException(path + ":" + lineNumber + ": not a JSON object: " + snippet(line));
    }
    if (!e.isJsonObject()) throw new IllegalArgumentException(path + ":" + lineNumber + ": not a JSON object: " + snippet(line));
    JsonObject o = e.getAsJsonObject();
    if (!isString(o, "event")) throw new IllegalArgumentException(path + ":" + lineNumber + ": no \"event\" name");
    JsonElement t = o.get("t");
    if (!"header".equals(o.get("event").getAsString())
        && (t == null || !t.isJsonPrimitive() || !t.getAsJsonPrimitive().isNumber() || !Double.isFinite(t.getAsDouble()))) {
      throw new IllegalArgumentException(path + ":" + lineNumber + ": no finite time \"t\"");
    }
    return o;
  }

  private static boolean isString(JsonObject o, String field) {
    JsonElement e = o.get(field);
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
  }

  private static String snippet(String line) {
    return line.length() > 60 ? line.substring(0, 60) + "..." : line;
  }

  /** The length of the file without a last line that has no newline and is not a whole JSON object. */
  private static long wholeLinesLength(Path path) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "r")) {
      long end = f.length();
      if (end == 0) return 0;
      f.seek(end - 1);
      if (f.read() == '\n') return end;
      long start = end - 1;
      while (start > 0) {
        f.seek(start - 1);
        if (f.read() == '\n') break;
        start--;
      }
      byte[] line = new byte[(int) Math.min(end - start, Integer.MAX_VALUE - 8)];
      f.seek(start);
      f.readFully(line);
      try {
        // A process killed after a whole object but before its newline lost nothing.
        if (JsonParser.parseString(new String(line, StandardCharsets.UTF_8)).isJsonObject()) return end;
      } catch (JsonParseException e) {
        // cut short
      }
      return start;
    }
  }

  private static InputStream limited(InputStream in, long length) {
    return new FilterInputStream(in) {
      long left = length;

      @Override public int read() throws IOException {
        if (left <= 0) return -1;
        int b = super.read();
        if (b >= 0) left--;
        return b;
      }

      @Override public int read(byte[] b, int off, int len) throws IOException {
        if (left <= 0) return -1;
        int n = super.read(b, off, (int) Math.min(len, left));
        if (n > 0) left -= n;
        return n;
      }
    };
  }

  @Override public void close() throws IOException {
    in.close();
  }
}
