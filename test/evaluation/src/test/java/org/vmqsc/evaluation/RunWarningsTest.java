package org.vmqsc.evaluation;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class RunWarningsTest {

  private static Metrics row(String protocol, double overhead, double peakMbps, Map<String, String> parameters) {
    Map<String, Double> v = new LinkedHashMap<>();
    for (String m : Metrics.DESCRIPTIONS.keySet()) v.put(m, 0.0);
    v.put("overhead_percent", overhead);
    v.put("peak_storage_mb_per_s", peakMbps);
    return new Metrics(protocol, "w", v, parameters);
  }

  private static Map<String, String> parameters(String t0, String periods, String classes) {
    Map<String, String> p = new HashMap<>();
    p.put("t0_s", t0);
    p.put("checkpoint_pause_s", "0.3");
    p.put("periods", periods);
    p.put("stable_mbps", "200");
    p.put("classes", classes);
    return p;
  }

  @Test public void aSoundSettingGetsNoWarning() {
    Map<String, String> p = parameters("60", "20", "SI x8, MI_2 x8");
    assertEquals(List.of(), RunWarnings.of(List.of(row("vmqsc", 0.4, 15, p), row("coordinated", 0.5, 18, p))));
  }

  @Test public void eachMeaninglessSettingIsNamed() {
    Map<String, String> p = parameters("0.2", "2.5", "MI_4 x16");
    List<String> w = RunWarnings.of(List.of(row("vmqsc", 150, 15, p), row("bcs-cic", 3, 450, p)));
    assertEquals(w.toString(), 5, w.size());
    assertTrue(w.get(0), w.get(0).startsWith("T0 (0.2 s) is shorter than the checkpoint pause"));
    assertTrue(w.get(1), w.get(1).contains("fewer than 3"));
    assertTrue(w.get(2), w.get(2).startsWith("vmqsc's overhead is 150 %"));
    assertTrue(w.get(3), w.get(3).startsWith("bcs-cic writes up to 450 MB/s, more than the stable storage's 200"));
    assertTrue(w.get(4), w.get(4).startsWith("every VM is MI_4"));
  }
}
