package org.vmqsc.evaluation.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The protocols by name, in report order. Each call makes fresh instances: a policy instance runs once. */
public final class Policies {
  private static final Map<String, Supplier<Policy>> ALL = new LinkedHashMap<>();
  static {
    ALL.put("vmqsc", VmQscRuntime::new);
    ALL.put("vmqsc-paper", () -> new VmQsc(VmQsc.Reading.PAPER));
    ALL.put("coordinated", CoordinatedBlocking::new);
    ALL.put("chandy-lamport", ChandyLamport::new);
    ALL.put("bcs-cic", IndexBasedCic::new);
    ALL.put("pessimistic-log", PessimisticLogging::new);
  }

  private Policies() {}

  public static List<String> names() {
    return List.copyOf(ALL.keySet());
  }

  public static Policy create(String name) {
    Supplier<Policy> s = ALL.get(name);
    if (s == null) throw new IllegalArgumentException("unknown protocol '" + name + "'; known: " + String.join(", ", ALL.keySet()));
    return s.get();
  }

  /** Parses "a,b,c" or "all". */
  public static List<String> parse(String list) {
    if (list == null || list.isBlank() || list.equals("all")) return names();
    List<String> out = new ArrayList<>();
    for (String s : list.split(",")) {
      String n = s.trim();
      create(n);   // validates
      if (!out.contains(n)) out.add(n);
    }
    return out;
  }
}
