package io.praas.image;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.exception.DockerException;
import io.praas.backend.BackendException;
import io.praas.backend.BackendHandle;
import io.praas.backend.LaunchSpec;
import io.praas.backend.ProcessBackend;
import io.praas.backend.Resources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.Slf4jLogConsumer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ProcessBackend} that runs each process as a container of the process image, through
 * Testcontainers, with host networking: the process binds and dials loopback addresses (its data
 * plane, the control plane's channel, the object store) exactly as a local one does, and takes its
 * code from {@code PRAAS_APP_CODE} in the object store, not from the control plane's files.
 *
 * <pre>{@code
 * ContainerBackend backend = new ContainerBackend("praas/process:0.1.0-SNAPSHOT");
 * ControlPlane cp = ControlPlane.start(config, backend);
 * }</pre>
 */
final class ContainerBackend implements ProcessBackend {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerBackend.class);
    /** How long a container may take from start to serving its data plane. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** How long a stopping container may drain after SIGTERM before it is killed. */
    private static final int STOP_TIMEOUT_SECONDS = 30;

    private final String image;
    private final Resources caps = new Resources(2, 2048);
    /** Every container this backend started, by container id, until stop or close removes it. */
    private final Map<String, GenericContainer<?>> containers = new ConcurrentHashMap<>();
    private final Map<String, Long> exitCodes = new ConcurrentHashMap<>();
    private final List<ExitListener> exitListeners = new CopyOnWriteArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "container-backend");
        t.setDaemon(true);
        return t;
    });

    ContainerBackend(String image) {
        this.image = image;
    }

    @Override
    public String name() {
        return "container";
    }

    @Override
    public Resources caps() {
        return caps;
    }

    @Override
    public CompletionStage<BackendHandle> start(LaunchSpec spec) {
        if (!spec.resources().fitsIn(caps)) {
            return CompletableFuture.failedFuture(new BackendException(BackendException.Reason.INVALID_REQUEST,
                    "resources " + spec.resources() + " exceed the container backend's caps " + caps));
        }
        return CompletableFuture.supplyAsync(() -> {
            String key = spec.application() + "/" + spec.processId();
            GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                    .withNetworkMode("host")
                    .withEnv(spec.environment())
                    .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                            .withMemory(spec.resources().memoryMiB() * 1024L * 1024L)
                            .withNanoCPUs((long) (spec.resources().vcpu() * 1_000_000_000L)))
                    .withLogConsumer(new Slf4jLogConsumer(LoggerFactory.getLogger("container." + key)))
                    .waitingFor(Wait.forLogMessage(".*listening on .*", 1).withStartupTimeout(START_TIMEOUT));
            try {
                c.start();
            } catch (RuntimeException e) {
                String logs = c.getContainerId() == null ? "(not created)" : c.getLogs();
                c.stop();
                throw new BackendException(BackendException.Reason.FAILED, "container of " + key
                        + " did not start: " + e.getMessage() + "\n" + logs, e);
            }
            BackendHandle handle = new BackendHandle(name(), c.getContainerId(), Map.of("image", image, "key", key));
            containers.put(c.getContainerId(), c);
            threads.execute(() -> awaitExit(c.getContainerId(), spec, handle));
            LOG.info("started process {} as container {} of {}", key, shortId(c.getContainerId()), image);
            return handle;
        }, threads);
    }

    /** Waits for the container to end, then tells the exit listeners (the control plane). */
    private void awaitExit(String containerId, LaunchSpec spec, BackendHandle handle) {
        try {
            Integer code = docker().waitContainerCmd(containerId).exec(new WaitContainerResultCallback())
                    .awaitStatusCode();
            exitCodes.put(containerId, code.longValue());
            LOG.info("container {} of {}/{} exited with {}", shortId(containerId), spec.application(),
                    spec.processId(), code);
        } catch (RuntimeException e) {
            if (Thread.currentThread().isInterrupted()) {
                return; // the backend is closing
            }
            LOG.warn("lost track of container {}: {}", shortId(containerId), e.toString());
        }
        exitListeners.forEach(l -> l.exited(spec.application(), spec.processId(), handle));
    }

    @Override
    public CompletionStage<Void> stop(BackendHandle handle) {
        return CompletableFuture.runAsync(() -> remove(handle.id()), threads);
    }

    /** SIGTERM (the process drains and exits), SIGKILL after the timeout, then the container is removed. */
    private void remove(String containerId) {
        GenericContainer<?> c = containers.remove(containerId);
        if (c == null) {
            return;
        }
        try {
            if (isRunning(containerId)) {
                docker().stopContainerCmd(containerId).withTimeout(STOP_TIMEOUT_SECONDS).exec();
            }
        } catch (DockerException e) {
            LOG.debug("stopping container {}: {}", shortId(containerId), e.toString()); // it ended meanwhile
        }
        c.stop(); // removes it
    }

    @Override
    public void onExit(ExitListener listener) {
        exitListeners.add(listener);
    }

    /** True while the container of {@code handle} runs. */
    boolean isRunning(BackendHandle handle) {
        return isRunning(handle.id());
    }

    private boolean isRunning(String containerId) {
        try {
            Boolean running = docker().inspectContainerCmd(containerId).exec().getState().getRunning();
            return Boolean.TRUE.equals(running);
        } catch (DockerException e) {
            return false;
        }
    }

    /** The exit code of the container of {@code handle}, once it has ended. */
    Optional<Long> exitCode(BackendHandle handle) {
        return Optional.ofNullable(exitCodes.get(handle.id()));
    }

    /** What the container of {@code handle} wrote, while this backend still has it. */
    String logs(BackendHandle handle) {
        GenericContainer<?> c = containers.get(handle.id());
        return c == null ? "(removed)" : c.getLogs();
    }

    /** The image of the container of {@code handle}, as Docker reports it. */
    String imageOf(BackendHandle handle) {
        return docker().inspectContainerCmd(handle.id()).exec().getConfig().getImage();
    }

    /** Stops and removes every container this backend started. */
    @Override
    public void close() {
        for (String id : List.copyOf(containers.keySet())) {
            remove(id);
        }
        threads.shutdownNow();
        try {
            threads.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static DockerClient docker() {
        return DockerClientFactory.instance().client();
    }

    private static String shortId(String containerId) {
        return containerId.length() > 12 ? containerId.substring(0, 12) : containerId;
    }
}
