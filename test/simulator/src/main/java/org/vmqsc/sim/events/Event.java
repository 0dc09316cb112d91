package org.vmqsc.sim.events;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/** One event of a log, with typed access to its fields; a missing or mistyped field is a {@link BadEvent}. */
final class Event {
  final JsonObject json;
  final long line;
  final String type;

  Event(JsonObject json, long line) {
    this.json = json;
    this.line = line;
    this.type = json.has("event") ? json.get("event").getAsString() : "?";
  }

  /** The event does not carry what the schema says it must. */
  static final class BadEvent extends RuntimeException {
    BadEvent(String message) {
      super(message, null, false, false);
    }
  }

  boolean has(String field) {
    return json.has(field) && !json.get(field).isJsonNull();
  }

  double t() {
    return has("t") ? json.get("t").getAsDouble() : Double.NaN;
  }

  long number(String field) {
    JsonElement e = field(field);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) throw bad(field + " is not a number");
    try {
      return e.getAsLong();
    } catch (NumberFormatException ex) {
      throw bad(field + " is not a whole number: " + e);
    }
  }

  /** A host as the events name it: a number in the simulator's files, a uuid in the processes'; compared as text. */
  String host(String field) {
    JsonElement e = field(field);
    if (!e.isJsonPrimitive()) throw bad(field + " is not a host name or number");
    return e.getAsString();
  }

  int vm(String field) {
    long v = number(field);
    if (v < 0 || v > 1_000_000) throw bad(field + " " + v + " is not a VM or host number");
    return (int) v;
  }

  String text(String field) {
    JsonElement e = field(field);
    if (!e.isJsonPrimitive()) throw bad(field + " is not a string");
    return e.getAsString();
  }

  boolean flag(String field) {
    JsonElement e = field(field);
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) throw bad(field + " is not true or false");
    return e.getAsBoolean();
  }

  /** A per-peer counter vector: element p counts messages to or from VM p. */
  long[] vector(String field) {
    JsonElement e = field(field);
    if (!e.isJsonArray()) throw bad(field + " is not an array");
    JsonArray a = e.getAsJsonArray();
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      JsonElement x = a.get(i);
      if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) throw bad(field + "[" + i + "] is not a number");
      out[i] = x.getAsLong();
    }
    return out;
  }

  private JsonElement field(String field) {
    if (!has(field)) throw bad("lacks the field \"" + field + "\"");
    return json.get(field);
  }

  BadEvent bad(String what) {
    return new BadEvent(what);
  }

  /** How a violation names this event: time, line, type and message id or VM. */
  String where() {
    StringBuilder b = new StringBuilder("t=").append(has("t") ? json.get("t").getAsString() : "?")
        .append(" line ").append(line).append(' ').append(type);
    if (has("id")) b.append(' ').append(json.get("id").getAsString());
    else if (has("vm")) b.append(" vm ").append(json.get("vm").getAsString());
    return b.toString();
  }
}
