package org.vmqsc.sim;

import java.util.LinkedHashMap;
import java.util.Map;

/** One thing that happened in a run, as written to the event file and shown in a violation's trace. */
public record SimEvent(double time, String type, Map<String, Object> fields) {

  static SimEvent of(double time, String type, Object... keyValues) {
    Map<String, Object> f = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) f.put((String) keyValues[i], keyValues[i + 1]);
    return new SimEvent(time, type, f);
  }

  @Override public String toString() {
    StringBuilder b = new StringBuilder(String.format("%10.3f %-12s", time, type));
    fields.forEach((k, v) -> b.append(' ').append(k).append('=').append(v instanceof long[] a ? java.util.Arrays.toString(a) : v));
    return b.toString();
  }
}
