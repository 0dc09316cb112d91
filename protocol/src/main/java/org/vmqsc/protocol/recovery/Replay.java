package org.vmqsc.protocol.recovery;

import org.vmqsc.protocol.Message;

/** One message to deliver again; {@code originalRsn} is where the receiver first got it, or -1 if unknown. */
public record Replay(Message message, ReplaySource source, long originalRsn) {}
