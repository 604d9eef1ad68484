package io.praas.controlplane;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Jars an upload replaces: kept while a start that read the application before may still fetch
 * them (three allocation timeouts, 1 s here), then removed by a later upload.
 */
class CodeUploadTest {
    @TempDir
    static Path dataDir;
    private static ControlPlane cp;
    private static Api api;

    @BeforeAll
    static void start() {
        cp = ControlPlane.start(ControlPlanes.options(dataDir).config().with(Map.of("allocationTimeout", Duration.ofSeconds(1))));
        api = Api.admin(cp);
    }

    @AfterAll
    static void stop() {
        if (cp != null) {
            cp.close();
        }
    }

    @Test
    void aJarReplacedLongerThanThreeAllocationTimeoutsAgoGoesAtTheNextUpload() throws Exception {
        assertThat(api.post("/v1/applications", Map.of("name", "churn")).status()).isEqualTo(201);
        String first = upload("churn", 1);
        String second = upload("churn", 2); // replaces the first now
        assertThat(jars("churn")).containsExactlyInAnyOrder(first, second);

        Thread.sleep(4_000); // past three allocation timeouts since the first was replaced
        String third = upload("churn", 3);

        assertThat(jars("churn")).containsExactlyInAnyOrder(second, third);
        String again = upload("churn", 1); // the removed first jar, uploaded again: current, and there
        assertThat(again).isEqualTo(first);
        assertThat(jars("churn")).contains(first, third);
    }

    private static String upload(String app, int variant) {
        Api.Reply r = api.put("/v1/applications/" + app + "/code", jar(variant), "application/java-archive");
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        return "apps/" + app + "/code/" + r.json().path("code").path("sha256").asText() + ".jar";
    }

    private static List<String> jars(String app) {
        return ControlPlanes.storeKeys(cp, "apps/" + app + "/");
    }

    /** A small jar whose bytes differ with {@code variant}. */
    private static byte[] jar(int variant) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream out = new JarOutputStream(bytes)) {
            ZipEntry entry = new ZipEntry("variant.txt");
            entry.setTime(315_532_800_000L); // fixed: the same variant is the same jar
            out.putNextEntry(entry);
            out.write(Integer.toString(variant).getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
