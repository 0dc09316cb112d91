package org.vmqsc.evaluation.workload;

import java.util.HashMap;
import java.util.Map;

/**
 * Parameters of a synthetic workload, parsed from {@code name:key=value,key=value}. Unknown keys are rejected so a
 * typo never silently runs the default.
 */
public final class WorkloadSettings {
  private final String name;
  private final Map<String, String> values = new HashMap<>();
  private final Map<String, Boolean> used = new HashMap<>();

  private WorkloadSettings(String name) {
    this.name = name;
  }

  public static WorkloadSettings parse(String spec) {
    int colon = spec.indexOf(':');
    WorkloadSettings s = new WorkloadSettings(colon < 0 ? spec.trim() : spec.substring(0, colon).trim());
    if (colon >= 0) {
      for (String kv : spec.substring(colon + 1).split(",")) {
        if (kv.isBlank()) continue;
        int eq = kv.indexOf('=');
        if (eq < 0) throw new IllegalArgumentException("workload parameter '" + kv + "' is not key=value");
        s.values.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
      }
    }
    return s;
  }

  public String name() { return name; }

  public double number(String key, double defaultValue) {
    used.put(key, true);
    String v = values.get(key);
    if (v == null) return defaultValue;
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("workload parameter " + key + "=" + v + " is not a number");
    }
  }

  public int integer(String key, int defaultValue) {
    double d = number(key, defaultValue);
    if (d != Math.rint(d)) throw new IllegalArgumentException("workload parameter " + key + " must be a whole number");
    return (int) d;
  }

  /** Fails on keys no generator asked for. */
  public void checkAllUsed() {
    for (String k : values.keySet()) {
      if (!used.containsKey(k)) throw new IllegalArgumentException("workload " + name + " has no parameter '" + k + "'");
    }
  }

  /** The canonical label: name plus the parameters given, sorted. */
  public String label() {
    if (values.isEmpty()) return name;
    StringBuilder b = new StringBuilder(name).append(':');
    values.keySet().stream().sorted().forEach(k -> b.append(k).append('=').append(values.get(k)).append(','));
    b.setLength(b.length() - 1);
    return b.toString();
  }
}
