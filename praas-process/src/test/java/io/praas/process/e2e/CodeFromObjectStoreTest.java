package io.praas.process.e2e;

import io.praas.client.ProcessClient;
import io.praas.process.function.ApplicationCode;
import io.praas.process.function.FunctionLoadingException;
import io.praas.process.launch.LocalProcess;
import io.praas.process.storage.S3Settings;
import io.praas.process.storage.TestObjectStore;
import io.praas.process.testapp.TestAppJar;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.praas.process.e2e.TestProcesses.text;
import static io.praas.process.e2e.TestProcesses.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A process whose application jar is in the object store ({@code s3://bucket/key}, as the control
 * plane hands it to processes in containers) downloads it with its {@code PRAAS_S3_*} settings and
 * serves; a missing object or an unreachable store stops it with an error that says which.
 */
class CodeFromObjectStoreTest {
    private static final String ACCESS_KEY = "code-test";
    private static final String SECRET_KEY = "code-test-secret";
    private static final String BUCKET = "praas-code";
    private static final String KEY = "apps/testapp/code/0123abcd.jar";

    @TempDir
    static Path blobs;
    private static S3Proxy proxy;
    private static S3Settings store;

    @BeforeAll
    static void startStoreWithTheJar() throws Exception {
        proxy = TestObjectStore.start(blobs, 0, ACCESS_KEY, SECRET_KEY);
        store = TestObjectStore.settings(proxy, BUCKET, ACCESS_KEY, SECRET_KEY);
        try (S3Client s3 = store.client()) {
            s3.createBucket(b -> b.bucket(BUCKET));
            s3.putObject(b -> b.bucket(BUCKET).key(KEY), RequestBody.fromFile(TestAppJar.path()));
        }
    }

    @AfterAll
    static void stopStore() {
        TestObjectStore.stop(proxy);
    }

    @Test
    void aProcessGivenAnS3LocationAsItsJarServesTheStoredFunctions() {
        LocalProcess p = start(LocalProcess.builder("s3://" + BUCKET + "/" + KEY), store.environment());
        try (ProcessClient client = TestProcesses.connect(p)) {
            assertThat(text(client.invoke("echo", utf8("from the store")))).isEqualTo("from the store");
        } finally {
            TestProcesses.stop(p);
        }
    }

    @Test
    void aProcessWithoutAJarTakesPraasAppCodeFromItsEnvironment() {
        Map<String, String> env = new HashMap<>(store.environment());
        env.put("PRAAS_APP_CODE", "s3://" + BUCKET + "/" + KEY);
        LocalProcess p = start(LocalProcess.builder((String) null), env);
        try (ProcessClient client = TestProcesses.connect(p)) {
            assertThat(text(client.invoke("echo", utf8("code from PRAAS_APP_CODE")))).isEqualTo("code from PRAAS_APP_CODE");
        } finally {
            TestProcesses.stop(p);
        }
    }

    @Test
    void aMissingObjectStopsTheProcessWithAnErrorNamingIt() {
        String missing = "s3://" + BUCKET + "/apps/testapp/code/missing.jar";

        assertThatThrownBy(() -> start(LocalProcess.builder(missing), store.environment()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with 1")
                .hasMessageContaining("application code " + missing + " does not exist in the object store");
    }

    @Test
    void aProcessWithoutAnyJarIsToldHowToGiveOne() {
        assertThatThrownBy(() -> start(LocalProcess.builder((String) null), Map.of("PRAAS_APP_CODE", "")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with 2")
                .hasMessageContaining("--app-jar");
    }

    @Test
    void theDownloadedJarHasTheStoredBytes() throws Exception {
        Path jar = ApplicationCode.parse("s3://" + BUCKET + "/" + KEY).fetch(store.environment());

        assertThat(jar.getFileName().toString()).endsWith("-0123abcd.jar");
        assertThat(Files.readAllBytes(jar)).isEqualTo(Files.readAllBytes(TestAppJar.path()));
        Files.delete(jar);
    }

    @Test
    void anUnreachableStoreIsReportedWithItsEndpoint() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Map<String, String> env = new HashMap<>(store.environment());
        env.put("PRAAS_S3_ENDPOINT", "http://127.0.0.1:" + closedPort);

        assertThatThrownBy(() -> ApplicationCode.parse("s3://" + BUCKET + "/" + KEY).fetch(env))
                .isInstanceOf(FunctionLoadingException.class)
                .hasMessageContaining("cannot reach the object store at http://127.0.0.1:" + closedPort);
    }

    @Test
    void locationsParseIntoFilesAndStoredObjects() {
        assertThat(ApplicationCode.parse("s3://praas/apps/shop/code/ab.jar"))
                .isEqualTo(new ApplicationCode.StoredJar("praas", "apps/shop/code/ab.jar"));
        assertThat(ApplicationCode.parse("/opt/apps/shop-1.0.jar"))
                .isEqualTo(new ApplicationCode.LocalJar(Path.of("/opt/apps/shop-1.0.jar")));
        assertThat(ApplicationCode.parse("s3://praas/apps/shop/code/ab.jar").fileName()).isEqualTo("ab.jar");
        for (String bad : List.of("s3://", "s3://praas", "s3://praas/", "s3:///key.jar")) {
            assertThatThrownBy(() -> ApplicationCode.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("s3://BUCKET/KEY");
        }
    }

    private static LocalProcess start(LocalProcess.Builder builder, Map<String, String> env) {
        env.forEach(builder::env);
        return TestProcesses.start(builder, List.of("--dev", "--application", TestAppJar.APPLICATION));
    }
}
