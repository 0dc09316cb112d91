package org.vmqsc.server.service;

/** What failed: one VM (its host survived) or a whole host. */
public enum FailureKind { VM, HOST }
