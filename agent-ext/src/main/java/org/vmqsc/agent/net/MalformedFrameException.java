package org.vmqsc.agent.net;

import java.io.IOException;

/** A datagram that is not a frame of this tunnel's format: cut off, damaged, of another version, or lying. */
public final class MalformedFrameException extends IOException {

  public MalformedFrameException(String message) {
    super(message);
  }
}
