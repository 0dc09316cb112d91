package org.vmqsc.lab;

import java.nio.file.Path;
import org.libvirt.Connect;
import org.vmqsc.agent.kvm.KvmDriver;

/**
 * What a comparison of {@code bench kvm} runs on: libvirt, the agent's driver, a work folder, the lab guest's memory
 * and how many interleaved rounds, after how many warm-up checkpoints of vmqsc's (not counted); whether the guest has
 * a monitor of the agent's own (a lab guest's way; CloudStack's domains have none).
 */
record KvmBench(Connect connect, KvmDriver driver, Path dir, int memoryMiB, int rounds, int warmUp,
                boolean ownMonitor) {}
