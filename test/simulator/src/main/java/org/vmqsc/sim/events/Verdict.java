package org.vmqsc.sim.events;

import java.util.List;

/**
 * What {@link EventLogOracle} found: the violations (each a readable reason naming the event; the first
 * {@link EventLogOracle#KEPT} are kept, all are counted) and how much it checked.
 */
public record Verdict(List<String> violations, long violationCount, long events, long messages, long deliveries,
                      long restoresChecked, long recoveriesChecked, int truncatedLines) {

  public boolean ok() {
    return violationCount == 0;
  }

  /** One line: what was checked. */
  public String checked() {
    return String.format("checked: %d events, %d messages, %d deliveries, %d restores, %d recoveries%s", events,
        messages, deliveries, restoresChecked, recoveriesChecked,
        truncatedLines == 0 ? "" : "; " + truncatedLines + " truncated last line(s) skipped");
  }

  /** Two lines: what was checked, then the verdict. */
  public String summary() {
    return checked() + "\noracle: " + violationCount + " violations\n";
  }
}
