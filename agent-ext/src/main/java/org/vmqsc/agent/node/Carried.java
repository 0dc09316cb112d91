package org.vmqsc.agent.node;

import org.vmqsc.protocol.CarriedReceipt;

/** A receipt a cross-host frame carries (causal logging), with the message's bytes when they travel with it. */
public record Carried(CarriedReceipt receipt, byte[] payload) {

  public Carried {
    if (receipt.withPayload() && payload == null) {
      throw new IllegalArgumentException("receipt " + receipt.entry().rsn() + " of VM " + receipt.message().to()
          + " travels with its payload, and has none");
    }
  }
}
