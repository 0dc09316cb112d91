package org.vmqsc.protocol.recovery;

import java.util.List;
import org.vmqsc.protocol.BoundaryRecord;

/**
 * How one rolled-back VM comes back: restore {@code checkpoint} from stable storage, replay the entries of
 * {@code segments} (each at its position) and run to {@code lineState}'s position (its recovered state, at a
 * boundary at or after the line); then, under {@code incarnation}, deliver {@code replays} in order, through the
 * normal receive path.
 */
public record VmRestore(int vm, int incarnation, BoundaryRecord checkpoint, List<BoundaryRecord> segments,
                        BoundaryRecord lineState, List<Replay> replays) {}
