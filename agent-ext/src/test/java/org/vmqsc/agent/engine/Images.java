package org.vmqsc.agent.engine;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/** Test memory images: random pages with runs of zero pages, like a guest's RAM. */
final class Images {

  static final int PAGE = 4096;

  private Images() {}

  /** One of the chunkers the hosts use or could: content-defined of 4 or 8 KiB on average, or one or two pages. */
  static Chunker anyChunker(Random random) {
    return switch (random.nextInt(3)) {
      case 0 -> new GearChunker(4096);
      case 1 -> new GearChunker(8192);
      default -> new FixedChunker(1 + random.nextInt(2));
    };
  }

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

  /**
   * Random pages, zero runs of any length, compressible text and repeated pages, of a length in [{@code minLength},
   * {@code maxLength}) that is mostly no multiple of a page.
   */
  static byte[] mixed(Random random, int minLength, int maxLength) {
    int length = minLength + random.nextInt(maxLength - minLength);
    byte[] image = new byte[length];
    int at = 0;
    while (at < length) {
      int run = Math.min(length - at, 1 + random.nextInt(3 * PAGE));
      switch (random.nextInt(4)) {
        case 0 -> { }  // zeros
        case 1 -> {
          byte[] text = ("checkpoint " + random.nextInt(50) + " of a guest's page cache; ")
              .getBytes(StandardCharsets.US_ASCII);
          for (int i = 0; i < run; i++) image[at + i] = text[i % text.length];
        }
        case 2 -> {
          if (at >= run) System.arraycopy(image, random.nextInt(at - run + 1), image, at, run);  // a repeat
        }
        default -> {
          byte[] noise = new byte[run];
          random.nextBytes(noise);
          System.arraycopy(noise, 0, image, at, run);
        }
      }
      at += run;
    }
    return image;
  }

  /** The next image: some pages rewritten or zeroed, and maybe bytes inserted or cut out (content that shifts). */
  static byte[] changed(byte[] image, Random random) {
    byte[] next = image.clone();
    int pages = 1 + random.nextInt(Math.max(1, next.length / PAGE / 10));
    for (int i = 0; i < pages; i++) {
      int at = random.nextInt(next.length);
      int length = Math.min(next.length - at, PAGE);
      if (random.nextBoolean()) {
        Arrays.fill(next, at, at + length, (byte) 0);
      } else {
        byte[] noise = new byte[length];
        random.nextBytes(noise);
        System.arraycopy(noise, 0, next, at, length);
      }
    }
    if (random.nextInt(3) == 0) {
      int at = random.nextInt(next.length);
      int shift = 1 + random.nextInt(5000);
      byte[] shifted = new byte[next.length + shift];
      System.arraycopy(next, 0, shifted, 0, at);
      for (int i = 0; i < shift; i++) shifted[at + i] = (byte) random.nextInt(256);
      System.arraycopy(next, at, shifted, at + shift, next.length - at);
      next = shifted;
    } else if (random.nextInt(3) == 0) {
      next = Arrays.copyOf(next, Math.max(1, next.length - random.nextInt(20_000)));
    }
    return next;
  }
}
