package io.praas.controlplane.registry;

/** The lifecycle of a process (DESIGN.md, "Concepts"). */
public enum ProcessStatus {
    ALLOCATING, ACTIVE, SWAPPING_OUT, SWAPPED_OUT, SWAPPING_IN, STOPPED, FAILED, DELETED;

    /** True for states a process does not leave by itself (it runs no more). */
    public boolean terminal() {
        return this == STOPPED || this == FAILED || this == DELETED;
    }

    /** True while the process takes a slot of its application's maxProcesses. */
    public boolean occupiesSlot() {
        return this == ALLOCATING || this == ACTIVE || this == SWAPPING_OUT || this == SWAPPING_IN;
    }
}
