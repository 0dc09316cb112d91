package org.vmqsc.agent.driver;

import java.time.Duration;

/**
 * Facts about one live capture: how it ran, how long the guest was paused, and why a preferred mode was not used
 * ({@code fallbackReason}, null when none).
 */
public record Capture(CaptureMode mode, Duration guestPause, String fallbackReason) {}
