package io.praas.process.swap;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link SwapManifest#fromJson} reads what {@link SwapManifest#toJson} writes, and nothing less. */
class SwapManifestTest {
    private static final SwapManifest M = new SwapManifest(SwapManifest.FORMAT, SwapManifest.VERSION, "shop", "p-1", 3,
            Instant.parse("2026-11-23T22:15:01.123456Z"), SwapManifest.dataKey("shop", "p-1", 3), 8 << 20,
            List.of(new SwapManifest.Part(1, 0, 8 << 20, null, "0a0b0c0d"),
                    new SwapManifest.Part(2, 8 << 20, 17, null, "e0f01020")),
            (8 << 20) + 17, null, "9abcdef0", 12, 2, 40, 123_456_789_012L);
    /** As written by version 1: SHA-256s, no CRC32C. */
    private static final SwapManifest V1 = new SwapManifest(SwapManifest.FORMAT, 1, "shop", "p-1", 3, M.createdAt(),
            M.dataKey(), M.partSize(), List.of(new SwapManifest.Part(1, 0, 8 << 20, "ab".repeat(32), null),
                    new SwapManifest.Part(2, 8 << 20, 17, "cd".repeat(32), null)),
            M.totalBytes(), "ef".repeat(32), null, 12, 2, 40, 123_456_789_012L);

    @Test
    void readsWhatTheWriterWrites() throws Exception {
        byte[] json = M.toJson();
        assertThat(SwapManifest.fromJson(json)).isEqualTo(M);
    }

    @Test
    void eachVersionWritesAndReadsBackOnlyItsOwnChecksums() throws Exception {
        String v1 = new String(V1.toJson(), StandardCharsets.UTF_8);
        assertThat(v1).doesNotContain("crc32c").contains("\"version\":1").contains("\"sha256\":\"" + "ab".repeat(32));
        assertThat(SwapManifest.fromJson(V1.toJson())).isEqualTo(V1);
        assertThat(new String(M.toJson(), StandardCharsets.UTF_8)).doesNotContain("sha256")
                .contains("\"crc32c\":\"0a0b0c0d\"").contains("\"crc32c\":\"9abcdef0\"");
    }

    @Test
    void writesWhatAnObjectMapperWritesForTheRecord() throws Exception {
        // Manifests written before toJson came from Jackson's object mapper: the same bytes (toJson
        // leaves out the checksums a version does not have).
        byte[] mapped = new com.fasterxml.jackson.databind.ObjectMapper().findAndRegisterModules()
                .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .writeValueAsBytes(M);
        assertThat(new String(M.toJson(), StandardCharsets.UTF_8)).isEqualTo(new String(mapped, StandardCharsets.UTF_8));
    }

    @Test
    void skipsFieldsItDoesNotKnow() throws Exception {
        String json = new String(M.toJson(), StandardCharsets.UTF_8)
                .replaceFirst("\\{", "{\"future\":{\"a\":[1,2,{\"b\":null}]},\"flag\":true,");
        assertThat(SwapManifest.fromJson(json.getBytes(StandardCharsets.UTF_8))).isEqualTo(M);
    }

    @Test
    void missingOrMistypedFieldsAndBadJsonAreRefused() throws Exception {
        String json = new String(M.toJson(), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> SwapManifest.fromJson(json.replace("\"dataKey\"", "\"dataKeyX\"")
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(IOException.class).hasMessageContaining("dataKey");
        assertThatThrownBy(() -> SwapManifest.fromJson(json.replace("\"generation\":3", "\"generation\":\"3\"")
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(IOException.class).hasMessageContaining("generation");
        assertThatThrownBy(() -> SwapManifest.fromJson("[1,2]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> SwapManifest.fromJson(json.substring(0, json.length() / 2)
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> SwapManifest.fromJson(json.replace("2026-11-23T22:15:01.123456Z", "yesterday")
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(IOException.class);
    }

    @Test
    void theGenerationOfAKeyIsReadFromItsFolder() {
        String prefix = SwapManifest.prefix("shop", "p-1");
        assertThat(SwapManifest.generationOf(prefix, SwapManifest.dataKey("shop", "p-1", 42))).isEqualTo(42);
        assertThat(SwapManifest.generationOf(prefix, SwapManifest.manifestKey("shop", "p-1", 7))).isEqualTo(7);
        assertThat(SwapManifest.generationOf(prefix, prefix + "notes.txt")).isEqualTo(Long.MAX_VALUE);
        assertThat(SwapManifest.generationOf(prefix, prefix + "gen-x/data")).isEqualTo(Long.MAX_VALUE);
        assertThat(SwapManifest.generationOf(prefix, prefix + "gen-000000000003")).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aManifestWithoutItsPartsIsRefused() throws Exception {
        String json = new String(M.toJson(), StandardCharsets.UTF_8)
                .replace("\"parts\"", "\"partsX\"");
        assertThatThrownBy(() -> SwapManifest.fromJson(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IOException.class).hasMessageContaining("'parts' is missing");
    }
}
