package org.vmqsc.agent.driver;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Real guests that a host agent runs itself, as whole machines: started with a NIC whose backend is the agent's
 * relay, paused and resumed by the agent (so that it can draw the exact instant of a checkpoint), checkpointed with
 * their disks, restored with them. The standalone agent's QEMU guests under libvirt are one; the simulator is not
 * (its guests are piecewise deterministic and rebuilt from logs, which no real guest can be).
 */
public interface GuestMachines extends AutoCloseable {

  /**
   * Defines and starts VM {@code vm}'s guest (one of a group of {@code groupSize}), <em>paused</em>, its NIC's
   * backend at {@code relayEnd} on this host. Returns the guest's end of the NIC, where the relay writes the frames
   * for it. A leftover of the same name is replaced.
   */
  InetSocketAddress start(String name, int vm, int groupSize, InetSocketAddress relayEnd) throws IOException;

  /**
   * Prepares a {@link #pause} while the guest still runs (what the hypervisor can do before the stop), so that
   * pausing several guests at one instant keeps each pause short. Optional: {@code pause} prepares itself otherwise.
   */
  void prepareCut(String name) throws IOException;

  /** Stops the guest's vCPUs now. */
  void pause(String name) throws IOException;

  void resume(String name) throws IOException;

  /**
   * Checkpoints a guest paused by {@link #pause}: memory and disks as of that instant. The guest runs again as
   * early as the hypervisor allows, and {@code running} is called then, before the image is consumed; the disks'
   * state at the instant is copied into {@code disks} (a new, empty folder) before this returns.
   */
  Capture checkpointPaused(String name, Runnable running, ImageConsumer memory, Path disks) throws IOException;

  /**
   * Brings VM {@code vm}'s guest back, <em>paused</em>, from a verified memory image and the disk state a
   * checkpoint copied into {@code disks}, its NIC's backend at {@code relayEnd} on this host; a running instance is
   * replaced. The checkpoint's files are never written to. Returns the guest's end of the NIC.
   */
  InetSocketAddress restore(String name, int vm, Path memoryImage, Path disks, InetSocketAddress relayEnd)
      throws IOException;

  /**
   * The recovery line passed: the guest will never go back before the checkpoint whose disk state was copied into
   * {@code oldestKept}. What its running disks keep only for older checkpoints may be merged away.
   */
  void collect(String name, Path oldestKept) throws IOException;

  /**
   * The checkpoint whose disk state was copied into {@code disks} was deleted from stable storage (behind the line,
   * or left over): its copy goes, and what only it needed of the stable chains it shared with other checkpoints.
   * Nothing by default, for machines without disks.
   */
  default void forgetDisks(Path disks) throws IOException {}

  /**
   * The guest is gone (its VM runs elsewhere now, or the agent stops): destroyed once the hypervisor has ended its
   * snapshot work on it (a snapshot under way is aborted; its checkpoint fails).
   *
   * @throws IOException when it could not be destroyed
   */
  void destroy(String name) throws IOException;

  @Override void close();
}
