package org.vmqsc.agent.engine;

import java.util.Random;

/** Test memory images: random pages with runs of zero pages, like a guest's RAM. */
final class Images {

  static final int PAGE = 4096;

  private Images() {}

  static byte[] memory(int pages, long seed) {
    Random random = new Random(seed);
    byte[] image = new byte[pages * PAGE];
    for (int page = 0; page < pages; page++) {
      if (page % 8 < 6) {  // a quarter of the pages stay zero
        byte[] content = new byte[PAGE];
        random.nextBytes(content);
        System.arraycopy(content, 0, image, page * PAGE, PAGE);
      }
    }
    return image;
  }

  /** Overwrites {@code pages} pages, spread over the image, with new random content. */
  static void rewrite(byte[] image, int pages, long seed) {
    Random random = new Random(seed);
    int total = image.length / PAGE;
    byte[] content = new byte[PAGE];
    for (int i = 0; i < pages; i++) {
      int page = (int) ((long) i * total / pages);
      random.nextBytes(content);
      System.arraycopy(content, 0, image, page * PAGE, PAGE);
    }
  }
}
