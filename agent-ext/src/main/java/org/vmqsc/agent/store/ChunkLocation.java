package org.vmqsc.agent.store;

import java.nio.file.Path;

/** Where a chunk's encoded bytes sit: a pack file, the offset of the bytes in it, and their length. */
public record ChunkLocation(Path pack, long offset, int length) {}
