package org.vmqsc.agent.engine;

import java.util.Queue;

/**
 * The blocks a checkpoint reads its image into, taken from the engine's spares and given back once their chunks
 * are stored: a new block per checkpoint was a few MiB of fresh memory to zero and fault in, every time. A block
 * not given back (a checkpoint that failed) is left to the collector.
 */
final class ImageBlocks {

  private final Queue<byte[]> spares;
  private final int bytes;

  ImageBlocks(Queue<byte[]> spares, int bytes) {
    this.spares = spares;
    this.bytes = bytes;
  }

  byte[] take() {
    byte[] spare;
    while ((spare = spares.poll()) != null) {
      if (spare.length == bytes) {
        return spare;
      }  // of another chunker's size: dropped
    }
    return new byte[bytes];
  }

  void giveBack(byte[] block) {
    spares.offer(block);
  }
}
