package org.vmqsc.agent.log;

/** The store contract, in memory. */
public class MemoryMessageStoreTest extends StableMessageStoreContract {

  @Override protected StableMessageStore newStore() {
    return new MemoryMessageStore();
  }
}
