package org.vmqsc.agent.node;

/** The host's clock, as the protocol needs it: the last base boundary it has passed. */
public interface HostClock {

  long index();
}
