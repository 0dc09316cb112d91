package org.vmqsc.agent.store;

import java.nio.file.Path;

/**
 * Where a chunk's encoded bytes sit: a pack file, the offset of the bytes in it, their length, and whether the
 * record holds a checksum of them (packs written before checksums do not).
 */
public record ChunkLocation(Path pack, long offset, int length, boolean checksummed) {}
