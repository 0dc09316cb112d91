package org.vmqsc.agent.net;

import java.net.InetSocketAddress;

/** Hears when a tunnel gives a peer up; the agent tells its manager, which owns failure detection. */
@FunctionalInterface
public interface PeerListener {

  /**
   * A datagram to {@code peer} went unacknowledged through every attempt. The link is reset: {@code undelivered}
   * frames (sent but not known delivered, or still waiting) are dropped, later frames start a fresh link.
   */
  void unreachable(InetSocketAddress peer, int undelivered);

  PeerListener IGNORE = (peer, undelivered) -> {};
}
