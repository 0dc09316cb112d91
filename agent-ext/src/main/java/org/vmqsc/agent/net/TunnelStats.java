package org.vmqsc.agent.net;

/** Counters of one tunnel since it opened, for tests and the agent's status. */
public record TunnelStats(long sent, long retransmitted, long received, long delivered, long duplicates,
                          long malformed, long stale, long unknownGroup, long unreachable) {}
