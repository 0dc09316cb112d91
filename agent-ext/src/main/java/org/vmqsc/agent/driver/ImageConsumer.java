package org.vmqsc.agent.driver;

import java.io.IOException;
import java.io.InputStream;

/** Receives a captured memory image; the stream is valid only during the call. */
@FunctionalInterface
public interface ImageConsumer {
  void accept(InputStream image, Capture capture) throws IOException;
}
