package io.praas.controlplane;

import io.praas.backend.BackendHandle;
import io.praas.backend.ProcessBackend;
import io.praas.backend.Resources;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A backend whose starts a test plays itself: a name, room for 2 vCPU and 4 GiB, a stop that
 * does nothing; the test says what a start does (and may override the rest).
 */
abstract class StubBackend implements ProcessBackend {
    private final String name;

    StubBackend(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Resources caps() {
        return new Resources(2, 4096);
    }

    @Override
    public CompletionStage<Void> stop(BackendHandle handle) {
        return CompletableFuture.completedFuture(null);
    }
}
