package org.vmqsc.agent.engine;

import java.io.IOException;
import java.io.OutputStream;

/** Where a restore puts the image it reassembles: verified bytes, and runs of zeros it may leave as holes. */
interface ImageSink {

  void write(byte[] bytes, int offset, int length) throws IOException;

  void zeros(int length) throws IOException;

  /** A stream has no holes: zeros are written out. */
  static ImageSink of(OutputStream out) {
    return new ImageSink() {
      private byte[] zeros = new byte[0];

      @Override public void write(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
      }

      @Override public void zeros(int length) throws IOException {
        if (zeros.length < length) {
          zeros = new byte[length];
        }
        out.write(zeros, 0, length);
      }
    };
  }
}
