package io.praas.image;

import com.github.dockerjava.api.exception.NotFoundException;
import org.testcontainers.DockerClientFactory;

import static org.assertj.core.api.Assertions.fail;

/**
 * The images under test (built by {@code docker/build-images.sh}, {@code ./praas image}) and the
 * Docker engine they need. Without an engine or an image the tests fail and say how to get it:
 * they never pass, nor report themselves skipped, without running. Where Docker cannot run, leave
 * the module out: {@code mvn -B -ntp verify -pl '!praas-image-test'}.
 *
 * <pre>{@code
 * @Test
 * void theImageRuns() {
 *     DockerImages.require(DockerImages.PROCESS);
 *     ...
 * }
 * }</pre>
 */
final class DockerImages {
    /** The process image (Surefire passes the project's version). */
    static final String PROCESS = System.getProperty("praas.image.process", "praas/process:0.1.0-SNAPSHOT");
    /** The control-plane image. */
    static final String CONTROL_PLANE = System.getProperty("praas.image.control-plane",
            "praas/control-plane:0.1.0-SNAPSHOT");

    private DockerImages() {
    }

    /** Fails unless a Docker engine answers and holds {@code images}. */
    static void require(String... images) {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            fail("No Docker engine answers: these tests run the container images. .ci/run installs and starts "
                    + "one (docs/IMAGE.md); where Docker cannot run, leave this module out: mvn verify -pl '!praas-image-test'.");
        }
        for (String image : images) {
            try {
                DockerClientFactory.instance().client().inspectImageCmd(image).exec();
            } catch (NotFoundException e) {
                fail("The image " + image + " does not exist: build it with ./praas image "
                        + "(docker/build-images.sh; .ci/run does) and run the tests again.");
            }
        }
    }
}
