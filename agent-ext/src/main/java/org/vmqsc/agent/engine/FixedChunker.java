package org.vmqsc.agent.engine;

/**
 * Cuts the image every {@code pagesPerChunk} 4 KiB pages, counted from the image's first byte. Ideal when the image
 * is guest memory laid out page by page; poor when content shifts (a migration stream, where every zero page QEMU
 * skips moves all later pages).
 */
public final class FixedChunker implements Chunker {

  public static final int PAGE_BYTES = 4096;
  private final int chunkBytes;

  public FixedChunker(int pagesPerChunk) {
    if (pagesPerChunk < 1 || pagesPerChunk > 1024) {
      throw new IllegalArgumentException("pages per chunk must be 1..1024, got " + pagesPerChunk);
    }
    this.chunkBytes = pagesPerChunk * PAGE_BYTES;
  }

  @Override public String name() {
    return "fixed-" + (chunkBytes / 1024) + "k";
  }

  @Override public int maxChunkBytes() {
    return chunkBytes;
  }

  @Override public int nextChunk(byte[] buffer, int offset, int available, boolean endOfImage) {
    return Math.min(available, chunkBytes);
  }
}
