package org.vmqsc.protocol.host;

import java.util.List;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;

/**
 * How a host brings back one failed VM by itself: restore {@code checkpoint} (staged on the host is good enough),
 * deliver {@code entries} in order, each at its position, and let the guest run to {@code replayUntil}; the
 * messages it sends up to there are duplicates and the relay drops them.
 */
public record VmReplayPlan(int vm, BoundaryRecord checkpoint, List<LogEntry> entries, long replayUntil) {}
