package org.vmqsc.agent.net;

import java.time.Duration;

/**
 * How hard a tunnel tries.
 *
 * @param retransmitAfter first retransmission of an unacknowledged datagram; doubles per attempt, up to 8 times
 * @param maxAttempts     sends of one datagram (the first included) before its peer is reported unreachable
 * @param window          unacknowledged datagrams in flight per peer; more wait in the peer's backlog
 * @param maxBacklog      frames waiting per peer beyond the window; more are refused (the peer is far behind)
 */
public record TunnelConfig(Duration retransmitAfter, int maxAttempts, int window, int maxBacklog) {

  public TunnelConfig {
    if (retransmitAfter.toMillis() < 1) throw new IllegalArgumentException("retransmitAfter must be >= 1 ms");
    if (maxAttempts < 1 || window < 1 || maxBacklog < 0) throw new IllegalArgumentException("bad tunnel config " + this);
  }

  /** Loopback and LAN: 50 ms, 8 attempts: a silent peer is given up after about 2.4 s, inside a 3 s lease. */
  public static TunnelConfig defaults() {
    return new TunnelConfig(Duration.ofMillis(50), 8, 256, 100_000);
  }
}
